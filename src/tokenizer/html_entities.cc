// SPDX-License-Identifier: MIT
// Tables of named HTML character references. Generated once from CPython's html.entities.html5,
// keeping the keys whose name is one of HTML 4.01's 252 entities (html.entities.name2codepoint)
// or &apos;, or their all-caps aliases (AMP, COPY, GT, LT, QUOT, REG, TRADE). All 106 legacy
// names that html.unescape accepts without ';' are among them, so its prefix rule is exact.
#include "html_entities.h"

#include <string>
#include <unordered_map>

namespace bbpt::tokenizer::detail {
namespace {

struct EntityRow {
  const char* key;
  const char32_t* value;
};

// ref: https://github.com/python/cpython/blob/3.11/Lib/html/entities.py (html5 dict)
// Generated rows, kept packed:
// clang-format off
const EntityRow kHtml5Rows[] = {
    {"AElig", U"\xc6"}, {"AElig;", U"\xc6"}, {"AMP", U"\x26"}, {"AMP;", U"\x26"},
    {"Aacute", U"\xc1"}, {"Aacute;", U"\xc1"}, {"Acirc", U"\xc2"}, {"Acirc;", U"\xc2"},
    {"Agrave", U"\xc0"}, {"Agrave;", U"\xc0"}, {"Alpha;", U"\x391"}, {"Aring", U"\xc5"},
    {"Aring;", U"\xc5"}, {"Atilde", U"\xc3"}, {"Atilde;", U"\xc3"}, {"Auml", U"\xc4"},
    {"Auml;", U"\xc4"}, {"Beta;", U"\x392"}, {"COPY", U"\xa9"}, {"COPY;", U"\xa9"},
    {"Ccedil", U"\xc7"}, {"Ccedil;", U"\xc7"}, {"Chi;", U"\x3a7"}, {"Dagger;", U"\x2021"},
    {"Delta;", U"\x394"}, {"ETH", U"\xd0"}, {"ETH;", U"\xd0"}, {"Eacute", U"\xc9"},
    {"Eacute;", U"\xc9"}, {"Ecirc", U"\xca"}, {"Ecirc;", U"\xca"}, {"Egrave", U"\xc8"},
    {"Egrave;", U"\xc8"}, {"Epsilon;", U"\x395"}, {"Eta;", U"\x397"}, {"Euml", U"\xcb"},
    {"Euml;", U"\xcb"}, {"GT", U"\x3e"}, {"GT;", U"\x3e"}, {"Gamma;", U"\x393"},
    {"Iacute", U"\xcd"}, {"Iacute;", U"\xcd"}, {"Icirc", U"\xce"}, {"Icirc;", U"\xce"},
    {"Igrave", U"\xcc"}, {"Igrave;", U"\xcc"}, {"Iota;", U"\x399"}, {"Iuml", U"\xcf"},
    {"Iuml;", U"\xcf"}, {"Kappa;", U"\x39a"}, {"LT", U"\x3c"}, {"LT;", U"\x3c"},
    {"Lambda;", U"\x39b"}, {"Mu;", U"\x39c"}, {"Ntilde", U"\xd1"}, {"Ntilde;", U"\xd1"},
    {"Nu;", U"\x39d"}, {"OElig;", U"\x152"}, {"Oacute", U"\xd3"}, {"Oacute;", U"\xd3"},
    {"Ocirc", U"\xd4"}, {"Ocirc;", U"\xd4"}, {"Ograve", U"\xd2"}, {"Ograve;", U"\xd2"},
    {"Omega;", U"\x3a9"}, {"Omicron;", U"\x39f"}, {"Oslash", U"\xd8"}, {"Oslash;", U"\xd8"},
    {"Otilde", U"\xd5"}, {"Otilde;", U"\xd5"}, {"Ouml", U"\xd6"}, {"Ouml;", U"\xd6"},
    {"Phi;", U"\x3a6"}, {"Pi;", U"\x3a0"}, {"Prime;", U"\x2033"}, {"Psi;", U"\x3a8"},
    {"QUOT", U"\x22"}, {"QUOT;", U"\x22"}, {"REG", U"\xae"}, {"REG;", U"\xae"}, {"Rho;", U"\x3a1"},
    {"Scaron;", U"\x160"}, {"Sigma;", U"\x3a3"}, {"THORN", U"\xde"}, {"THORN;", U"\xde"},
    {"TRADE;", U"\x2122"}, {"Tau;", U"\x3a4"}, {"Theta;", U"\x398"}, {"Uacute", U"\xda"},
    {"Uacute;", U"\xda"}, {"Ucirc", U"\xdb"}, {"Ucirc;", U"\xdb"}, {"Ugrave", U"\xd9"},
    {"Ugrave;", U"\xd9"}, {"Upsilon;", U"\x3a5"}, {"Uuml", U"\xdc"}, {"Uuml;", U"\xdc"},
    {"Xi;", U"\x39e"}, {"Yacute", U"\xdd"}, {"Yacute;", U"\xdd"}, {"Yuml;", U"\x178"},
    {"Zeta;", U"\x396"}, {"aacute", U"\xe1"}, {"aacute;", U"\xe1"}, {"acirc", U"\xe2"},
    {"acirc;", U"\xe2"}, {"acute", U"\xb4"}, {"acute;", U"\xb4"}, {"aelig", U"\xe6"},
    {"aelig;", U"\xe6"}, {"agrave", U"\xe0"}, {"agrave;", U"\xe0"}, {"alefsym;", U"\x2135"},
    {"alpha;", U"\x3b1"}, {"amp", U"\x26"}, {"amp;", U"\x26"}, {"and;", U"\x2227"},
    {"ang;", U"\x2220"}, {"apos;", U"\x27"}, {"aring", U"\xe5"}, {"aring;", U"\xe5"},
    {"asymp;", U"\x2248"}, {"atilde", U"\xe3"}, {"atilde;", U"\xe3"}, {"auml", U"\xe4"},
    {"auml;", U"\xe4"}, {"bdquo;", U"\x201e"}, {"beta;", U"\x3b2"}, {"brvbar", U"\xa6"},
    {"brvbar;", U"\xa6"}, {"bull;", U"\x2022"}, {"cap;", U"\x2229"}, {"ccedil", U"\xe7"},
    {"ccedil;", U"\xe7"}, {"cedil", U"\xb8"}, {"cedil;", U"\xb8"}, {"cent", U"\xa2"},
    {"cent;", U"\xa2"}, {"chi;", U"\x3c7"}, {"circ;", U"\x2c6"}, {"clubs;", U"\x2663"},
    {"cong;", U"\x2245"}, {"copy", U"\xa9"}, {"copy;", U"\xa9"}, {"crarr;", U"\x21b5"},
    {"cup;", U"\x222a"}, {"curren", U"\xa4"}, {"curren;", U"\xa4"}, {"dArr;", U"\x21d3"},
    {"dagger;", U"\x2020"}, {"darr;", U"\x2193"}, {"deg", U"\xb0"}, {"deg;", U"\xb0"},
    {"delta;", U"\x3b4"}, {"diams;", U"\x2666"}, {"divide", U"\xf7"}, {"divide;", U"\xf7"},
    {"eacute", U"\xe9"}, {"eacute;", U"\xe9"}, {"ecirc", U"\xea"}, {"ecirc;", U"\xea"},
    {"egrave", U"\xe8"}, {"egrave;", U"\xe8"}, {"empty;", U"\x2205"}, {"emsp;", U"\x2003"},
    {"ensp;", U"\x2002"}, {"epsilon;", U"\x3b5"}, {"equiv;", U"\x2261"}, {"eta;", U"\x3b7"},
    {"eth", U"\xf0"}, {"eth;", U"\xf0"}, {"euml", U"\xeb"}, {"euml;", U"\xeb"},
    {"euro;", U"\x20ac"}, {"exist;", U"\x2203"}, {"fnof;", U"\x192"}, {"forall;", U"\x2200"},
    {"frac12", U"\xbd"}, {"frac12;", U"\xbd"}, {"frac14", U"\xbc"}, {"frac14;", U"\xbc"},
    {"frac34", U"\xbe"}, {"frac34;", U"\xbe"}, {"frasl;", U"\x2044"}, {"gamma;", U"\x3b3"},
    {"ge;", U"\x2265"}, {"gt", U"\x3e"}, {"gt;", U"\x3e"}, {"hArr;", U"\x21d4"},
    {"harr;", U"\x2194"}, {"hearts;", U"\x2665"}, {"hellip;", U"\x2026"}, {"iacute", U"\xed"},
    {"iacute;", U"\xed"}, {"icirc", U"\xee"}, {"icirc;", U"\xee"}, {"iexcl", U"\xa1"},
    {"iexcl;", U"\xa1"}, {"igrave", U"\xec"}, {"igrave;", U"\xec"}, {"image;", U"\x2111"},
    {"infin;", U"\x221e"}, {"int;", U"\x222b"}, {"iota;", U"\x3b9"}, {"iquest", U"\xbf"},
    {"iquest;", U"\xbf"}, {"isin;", U"\x2208"}, {"iuml", U"\xef"}, {"iuml;", U"\xef"},
    {"kappa;", U"\x3ba"}, {"lArr;", U"\x21d0"}, {"lambda;", U"\x3bb"}, {"lang;", U"\x27e8"},
    {"laquo", U"\xab"}, {"laquo;", U"\xab"}, {"larr;", U"\x2190"}, {"lceil;", U"\x2308"},
    {"ldquo;", U"\x201c"}, {"le;", U"\x2264"}, {"lfloor;", U"\x230a"}, {"lowast;", U"\x2217"},
    {"loz;", U"\x25ca"}, {"lrm;", U"\x200e"}, {"lsaquo;", U"\x2039"}, {"lsquo;", U"\x2018"},
    {"lt", U"\x3c"}, {"lt;", U"\x3c"}, {"macr", U"\xaf"}, {"macr;", U"\xaf"}, {"mdash;", U"\x2014"},
    {"micro", U"\xb5"}, {"micro;", U"\xb5"}, {"middot", U"\xb7"}, {"middot;", U"\xb7"},
    {"minus;", U"\x2212"}, {"mu;", U"\x3bc"}, {"nabla;", U"\x2207"}, {"nbsp", U"\xa0"},
    {"nbsp;", U"\xa0"}, {"ndash;", U"\x2013"}, {"ne;", U"\x2260"}, {"ni;", U"\x220b"},
    {"not", U"\xac"}, {"not;", U"\xac"}, {"notin;", U"\x2209"}, {"nsub;", U"\x2284"},
    {"ntilde", U"\xf1"}, {"ntilde;", U"\xf1"}, {"nu;", U"\x3bd"}, {"oacute", U"\xf3"},
    {"oacute;", U"\xf3"}, {"ocirc", U"\xf4"}, {"ocirc;", U"\xf4"}, {"oelig;", U"\x153"},
    {"ograve", U"\xf2"}, {"ograve;", U"\xf2"}, {"oline;", U"\x203e"}, {"omega;", U"\x3c9"},
    {"omicron;", U"\x3bf"}, {"oplus;", U"\x2295"}, {"or;", U"\x2228"}, {"ordf", U"\xaa"},
    {"ordf;", U"\xaa"}, {"ordm", U"\xba"}, {"ordm;", U"\xba"}, {"oslash", U"\xf8"},
    {"oslash;", U"\xf8"}, {"otilde", U"\xf5"}, {"otilde;", U"\xf5"}, {"otimes;", U"\x2297"},
    {"ouml", U"\xf6"}, {"ouml;", U"\xf6"}, {"para", U"\xb6"}, {"para;", U"\xb6"},
    {"part;", U"\x2202"}, {"permil;", U"\x2030"}, {"perp;", U"\x22a5"}, {"phi;", U"\x3c6"},
    {"pi;", U"\x3c0"}, {"piv;", U"\x3d6"}, {"plusmn", U"\xb1"}, {"plusmn;", U"\xb1"},
    {"pound", U"\xa3"}, {"pound;", U"\xa3"}, {"prime;", U"\x2032"}, {"prod;", U"\x220f"},
    {"prop;", U"\x221d"}, {"psi;", U"\x3c8"}, {"quot", U"\x22"}, {"quot;", U"\x22"},
    {"rArr;", U"\x21d2"}, {"radic;", U"\x221a"}, {"rang;", U"\x27e9"}, {"raquo", U"\xbb"},
    {"raquo;", U"\xbb"}, {"rarr;", U"\x2192"}, {"rceil;", U"\x2309"}, {"rdquo;", U"\x201d"},
    {"real;", U"\x211c"}, {"reg", U"\xae"}, {"reg;", U"\xae"}, {"rfloor;", U"\x230b"},
    {"rho;", U"\x3c1"}, {"rlm;", U"\x200f"}, {"rsaquo;", U"\x203a"}, {"rsquo;", U"\x2019"},
    {"sbquo;", U"\x201a"}, {"scaron;", U"\x161"}, {"sdot;", U"\x22c5"}, {"sect", U"\xa7"},
    {"sect;", U"\xa7"}, {"shy", U"\xad"}, {"shy;", U"\xad"}, {"sigma;", U"\x3c3"},
    {"sigmaf;", U"\x3c2"}, {"sim;", U"\x223c"}, {"spades;", U"\x2660"}, {"sub;", U"\x2282"},
    {"sube;", U"\x2286"}, {"sum;", U"\x2211"}, {"sup1", U"\xb9"}, {"sup1;", U"\xb9"},
    {"sup2", U"\xb2"}, {"sup2;", U"\xb2"}, {"sup3", U"\xb3"}, {"sup3;", U"\xb3"},
    {"sup;", U"\x2283"}, {"supe;", U"\x2287"}, {"szlig", U"\xdf"}, {"szlig;", U"\xdf"},
    {"tau;", U"\x3c4"}, {"there4;", U"\x2234"}, {"theta;", U"\x3b8"}, {"thetasym;", U"\x3d1"},
    {"thinsp;", U"\x2009"}, {"thorn", U"\xfe"}, {"thorn;", U"\xfe"}, {"tilde;", U"\x2dc"},
    {"times", U"\xd7"}, {"times;", U"\xd7"}, {"trade;", U"\x2122"}, {"uArr;", U"\x21d1"},
    {"uacute", U"\xfa"}, {"uacute;", U"\xfa"}, {"uarr;", U"\x2191"}, {"ucirc", U"\xfb"},
    {"ucirc;", U"\xfb"}, {"ugrave", U"\xf9"}, {"ugrave;", U"\xf9"}, {"uml", U"\xa8"},
    {"uml;", U"\xa8"}, {"upsih;", U"\x3d2"}, {"upsilon;", U"\x3c5"}, {"uuml", U"\xfc"},
    {"uuml;", U"\xfc"}, {"weierp;", U"\x2118"}, {"xi;", U"\x3be"}, {"yacute", U"\xfd"},
    {"yacute;", U"\xfd"}, {"yen", U"\xa5"}, {"yen;", U"\xa5"}, {"yuml", U"\xff"},
    {"yuml;", U"\xff"}, {"zeta;", U"\x3b6"}, {"zwj;", U"\x200d"}, {"zwnj;", U"\x200c"},
};

// ftfy.chardata._build_html_entities: for each all-lowercase html5 name above whose upper-cased
// form html.unescape leaves alone, "&" + name.upper() decodes to value.upper().
// ref: https://github.com/rspeer/python-ftfy/blob/v6.1.1/ftfy/chardata.py
const EntityRow kFtfyUppercaseRows[] = {
    {"AACUTE;", U"\xc1"}, {"ACIRC;", U"\xc2"}, {"ACUTE;", U"\xb4"}, {"AELIG;", U"\xc6"},
    {"AGRAVE;", U"\xc0"}, {"ALEFSYM;", U"\x2135"}, {"ALPHA;", U"\x391"}, {"AND;", U"\x2227"},
    {"ANG;", U"\x2220"}, {"APOS;", U"\x27"}, {"ARING;", U"\xc5"}, {"ASYMP;", U"\x2248"},
    {"ATILDE;", U"\xc3"}, {"AUML;", U"\xc4"}, {"BDQUO;", U"\x201e"}, {"BETA;", U"\x392"},
    {"BRVBAR;", U"\xa6"}, {"BULL;", U"\x2022"}, {"CAP;", U"\x2229"}, {"CCEDIL;", U"\xc7"},
    {"CEDIL;", U"\xb8"}, {"CENT;", U"\xa2"}, {"CHI;", U"\x3a7"}, {"CIRC;", U"\x2c6"},
    {"CLUBS;", U"\x2663"}, {"CONG;", U"\x2245"}, {"CRARR;", U"\x21b5"}, {"CUP;", U"\x222a"},
    {"CURREN;", U"\xa4"}, {"DAGGER;", U"\x2020"}, {"DARR;", U"\x2193"}, {"DEG;", U"\xb0"},
    {"DELTA;", U"\x394"}, {"DIAMS;", U"\x2666"}, {"DIVIDE;", U"\xf7"}, {"EACUTE;", U"\xc9"},
    {"ECIRC;", U"\xca"}, {"EGRAVE;", U"\xc8"}, {"EMPTY;", U"\x2205"}, {"EMSP;", U"\x2003"},
    {"ENSP;", U"\x2002"}, {"EPSILON;", U"\x395"}, {"EQUIV;", U"\x2261"}, {"ETA;", U"\x397"},
    {"EUML;", U"\xcb"}, {"EURO;", U"\x20ac"}, {"EXIST;", U"\x2203"}, {"FNOF;", U"\x191"},
    {"FORALL;", U"\x2200"}, {"FRAC12;", U"\xbd"}, {"FRAC14;", U"\xbc"}, {"FRAC34;", U"\xbe"},
    {"FRASL;", U"\x2044"}, {"GAMMA;", U"\x393"}, {"GE;", U"\x2265"}, {"HARR;", U"\x2194"},
    {"HEARTS;", U"\x2665"}, {"HELLIP;", U"\x2026"}, {"IACUTE;", U"\xcd"}, {"ICIRC;", U"\xce"},
    {"IEXCL;", U"\xa1"}, {"IGRAVE;", U"\xcc"}, {"IMAGE;", U"\x2111"}, {"INFIN;", U"\x221e"},
    {"INT;", U"\x222b"}, {"IOTA;", U"\x399"}, {"IQUEST;", U"\xbf"}, {"ISIN;", U"\x2208"},
    {"IUML;", U"\xcf"}, {"KAPPA;", U"\x39a"}, {"LAMBDA;", U"\x39b"}, {"LANG;", U"\x27e8"},
    {"LAQUO;", U"\xab"}, {"LARR;", U"\x2190"}, {"LCEIL;", U"\x2308"}, {"LDQUO;", U"\x201c"},
    {"LE;", U"\x2264"}, {"LFLOOR;", U"\x230a"}, {"LOWAST;", U"\x2217"}, {"LOZ;", U"\x25ca"},
    {"LRM;", U"\x200e"}, {"LSAQUO;", U"\x2039"}, {"LSQUO;", U"\x2018"}, {"MACR;", U"\xaf"},
    {"MDASH;", U"\x2014"}, {"MICRO;", U"\x39c"}, {"MIDDOT;", U"\xb7"}, {"MINUS;", U"\x2212"},
    {"MU;", U"\x39c"}, {"NABLA;", U"\x2207"}, {"NBSP;", U"\xa0"}, {"NDASH;", U"\x2013"},
    {"NE;", U"\x2260"}, {"NI;", U"\x220b"}, {"NOT;", U"\xac"}, {"NOTIN;", U"\x2209"},
    {"NSUB;", U"\x2284"}, {"NTILDE;", U"\xd1"}, {"NU;", U"\x39d"}, {"OACUTE;", U"\xd3"},
    {"OCIRC;", U"\xd4"}, {"OELIG;", U"\x152"}, {"OGRAVE;", U"\xd2"}, {"OLINE;", U"\x203e"},
    {"OMEGA;", U"\x3a9"}, {"OMICRON;", U"\x39f"}, {"OPLUS;", U"\x2295"}, {"OR;", U"\x2228"},
    {"ORDF;", U"\xaa"}, {"ORDM;", U"\xba"}, {"OSLASH;", U"\xd8"}, {"OTILDE;", U"\xd5"},
    {"OTIMES;", U"\x2297"}, {"OUML;", U"\xd6"}, {"PARA;", U"\xb6"}, {"PART;", U"\x2202"},
    {"PERMIL;", U"\x2030"}, {"PERP;", U"\x22a5"}, {"PHI;", U"\x3a6"}, {"PI;", U"\x3a0"},
    {"PIV;", U"\x3a0"}, {"PLUSMN;", U"\xb1"}, {"POUND;", U"\xa3"}, {"PRIME;", U"\x2032"},
    {"PROD;", U"\x220f"}, {"PROP;", U"\x221d"}, {"PSI;", U"\x3a8"}, {"RADIC;", U"\x221a"},
    {"RANG;", U"\x27e9"}, {"RAQUO;", U"\xbb"}, {"RARR;", U"\x2192"}, {"RCEIL;", U"\x2309"},
    {"RDQUO;", U"\x201d"}, {"REAL;", U"\x211c"}, {"RFLOOR;", U"\x230b"}, {"RHO;", U"\x3a1"},
    {"RLM;", U"\x200f"}, {"RSAQUO;", U"\x203a"}, {"RSQUO;", U"\x2019"}, {"SBQUO;", U"\x201a"},
    {"SCARON;", U"\x160"}, {"SDOT;", U"\x22c5"}, {"SECT;", U"\xa7"}, {"SHY;", U"\xad"},
    {"SIGMA;", U"\x3a3"}, {"SIGMAF;", U"\x3a3"}, {"SIM;", U"\x223c"}, {"SPADES;", U"\x2660"},
    {"SUB;", U"\x2282"}, {"SUBE;", U"\x2286"}, {"SUM;", U"\x2211"}, {"SUP1;", U"\xb9"},
    {"SUP2;", U"\xb2"}, {"SUP3;", U"\xb3"}, {"SUP;", U"\x2283"}, {"SUPE;", U"\x2287"},
    {"SZLIG;", U"\x53" U"\x53"}, {"TAU;", U"\x3a4"}, {"THERE4;", U"\x2234"}, {"THETA;", U"\x398"},
    {"THETASYM;", U"\x398"}, {"THINSP;", U"\x2009"}, {"TILDE;", U"\x2dc"}, {"TIMES;", U"\xd7"},
    {"UACUTE;", U"\xda"}, {"UARR;", U"\x2191"}, {"UCIRC;", U"\xdb"}, {"UGRAVE;", U"\xd9"},
    {"UML;", U"\xa8"}, {"UPSIH;", U"\x3d2"}, {"UPSILON;", U"\x3a5"}, {"UUML;", U"\xdc"},
    {"WEIERP;", U"\x2118"}, {"XI;", U"\x39e"}, {"YACUTE;", U"\xdd"}, {"YEN;", U"\xa5"},
    {"YUML;", U"\x178"}, {"ZETA;", U"\x396"}, {"ZWJ;", U"\x200d"}, {"ZWNJ;", U"\x200c"},
};
// clang-format on

using EntityMap = std::unordered_map<std::string, std::u32string>;

template <size_t N>
EntityMap build_map(const EntityRow (&rows)[N]) {
  EntityMap map;
  map.reserve(N);
  for (const EntityRow& row : rows) map.emplace(row.key, row.value);
  return map;
}

/// Entity names are ASCII; a key with anything else cannot match.
bool to_ascii_key(std::u32string_view key, std::string& out) {
  out.clear();
  for (char32_t c : key) {
    if (c >= 0x80) return false;
    out.push_back(static_cast<char>(c));
  }
  return true;
}

const std::u32string* find_in(const EntityMap& map, std::u32string_view key) {
  thread_local std::string ascii_key;
  if (!to_ascii_key(key, ascii_key)) return nullptr;
  const auto it = map.find(ascii_key);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

const std::u32string* find_html5_entity(std::u32string_view key) {
  static const EntityMap map = build_map(kHtml5Rows);
  return find_in(map, key);
}

const std::u32string* find_ftfy_entity(std::u32string_view reference) {
  static const EntityMap uppercase_map = build_map(kFtfyUppercaseRows);
  if (reference.size() < 3 || reference.front() != U'&' || reference.back() != U';') {
    return nullptr;
  }
  const std::u32string_view name = reference.substr(1);  // keeps the ';'
  if (const std::u32string* value = find_html5_entity(name)) return value;
  return find_in(uppercase_map, name);
}

}  // namespace bbpt::tokenizer::detail
