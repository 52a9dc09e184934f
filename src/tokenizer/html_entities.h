// SPDX-License-Identifier: MIT
// Private: the named HTML character references html.unescape and ftfy know, as lookup functions.
// Covers HTML 4.01's 252 entities plus &apos; (see html_entities.cc), not all 2,231 of HTML5.
#pragma once

#include <string>
#include <string_view>

namespace bbpt::tokenizer::detail {

/// Looks key up in (our subset of) Python's html.entities.html5: key is a name with its ';'
/// ("amp;") or one of the legacy names that HTML5 also accepts without it ("amp").
/// Returns nullptr when the key is not an entity.
const std::u32string* find_html5_entity(std::u32string_view key);

/// Looks a whole reference ("&eacute;") up in ftfy.chardata.HTML_ENTITIES: every html5 name
/// ending in ';', plus the upper-cased form of each all-lowercase name that is not itself an
/// entity, decoding to the upper-cased text ("&EACUTE;" -> "É", "&SZLIG;" -> "SS").
const std::u32string* find_ftfy_entity(std::u32string_view reference);

}  // namespace bbpt::tokenizer::detail
