// SPDX-License-Identifier: MIT
// Implements LlamaModel::load: Hugging Face checkpoint directories (one safetensors file or shards
// named by model.safetensors.index.json) and llama2.c legacy .bin checkpoints (interleaved RoPE,
// permuted to rotate-half on load).
// ref: https://github.com/karpathy/llama2.c/blob/master/run.c (memory_map_weights)
// ref:
// https://github.com/huggingface/transformers/blob/v4.45.0/src/transformers/models/llama/convert_llama_weights_to_hf.py
// (permute)
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/lm/llama_model.h"
#include "bbpt/lm/safetensors.h"

namespace bbpt::lm {
namespace {

namespace fs = std::filesystem;

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

torch::Dtype torch_dtype(TensorDType dtype) {
  switch (dtype) {
    case TensorDType::kF32:
      return torch::kFloat32;
    case TensorDType::kF16:
      return torch::kFloat16;
    case TensorDType::kBF16:
      return torch::kBFloat16;
  }
  return torch::kFloat32;
}

// The tensors of a Hugging Face checkpoint, across shards, each file mapped once.
class HfTensorSource {
 public:
  explicit HfTensorSource(const fs::path& dir) {
    const fs::path single = dir / "model.safetensors";
    const fs::path index = dir / "model.safetensors.index.json";
    if (fs::exists(index)) {
      index_path_ = index.string();
      nlohmann::json parsed;
      try {
        parsed = nlohmann::json::parse(core::read_file(index_path_));
      } catch (const nlohmann::json::exception& e) {
        BBPT_THROW(IoError, index_path_ << ": not valid JSON (" << e.what() << ")");
      }
      BBPT_CHECK(parsed.contains("weight_map") && parsed.at("weight_map").is_object(), IoError,
                 index_path_ << ": field 'weight_map' is missing or not an object");
      for (const auto& [name, file] : parsed.at("weight_map").items()) {
        BBPT_CHECK(file.is_string(), IoError,
                   index_path_ << ": weight_map['" << name << "'] is " << file.dump());
        const fs::path shard = dir / file.get<std::string>();
        BBPT_CHECK(fs::is_regular_file(shard), IoError,
                   index_path_ << ": weight_map names shard '" << file.get<std::string>()
                               << "' (for '" << name << "'), which is missing from "
                               << dir.string());
        weight_map_[name] = shard.string();
      }
    } else {
      BBPT_CHECK(
          fs::is_regular_file(single), IoError,
          dir.string()
              << ": neither model.safetensors nor model.safetensors.index.json; expected a Hugging "
                 "Face Llama checkpoint directory");
    }
    single_path_ = single.string();
  }

  bool contains(const std::string& name) {
    if (!index_path_.empty())
      return weight_map_.count(name) > 0 && file(weight_map_.at(name)).contains(name);
    return file(single_path_).contains(name);
  }

  const TensorEntry& entry(const std::string& name) {
    if (!index_path_.empty()) {
      auto it = weight_map_.find(name);
      BBPT_CHECK(it != weight_map_.end(), ModelError,
                 index_path_ << ": weight_map has no tensor '" << name << "'");
      return file(it->second).at(name);
    }
    return file(single_path_).at(name);
  }

  std::string file_of(const std::string& name) const {
    return index_path_.empty() ? single_path_ : weight_map_.at(name);
  }

 private:
  SafetensorsFile& file(const std::string& path) {
    auto it = open_.find(path);
    if (it == open_.end()) it = open_.emplace(path, std::make_unique<SafetensorsFile>(path)).first;
    return *it->second;
  }

  std::string index_path_;
  std::string single_path_;
  std::map<std::string, std::string> weight_map_;
  std::map<std::string, std::unique_ptr<SafetensorsFile>> open_;
};

torch::Tensor load_hf_tensor(HfTensorSource& source,
                             const std::string& name,
                             const std::vector<int64_t>& shape,
                             const LlamaLoadOptions& options) {
  const TensorEntry& entry = source.entry(name);
  BBPT_CHECK(entry.shape == shape, ModelError,
             source.file_of(name) << ": tensor '" << name << "' has shape "
                                  << shape_string(entry.shape) << " but config.json implies "
                                  << shape_string(shape));
  // from_blob views the mapping; .to(copy=true) makes the one copy, converted, on the device.
  const torch::Tensor view =
      torch::from_blob(const_cast<std::byte*>(entry.data), entry.shape,
                       torch::TensorOptions().dtype(torch_dtype(entry.dtype)));
  return view.to(options.device, options.dtype, /*non_blocking=*/false, /*copy=*/true);
}

LlamaModel load_hf(const fs::path& dir, const LlamaLoadOptions& options) {
  const fs::path config_path = dir / "config.json";
  BBPT_CHECK(
      fs::is_regular_file(config_path), IoError,
      dir.string() << ": no config.json; expected a Hugging Face Llama checkpoint directory");
  LlamaConfig config =
      parse_hf_config(config_path.string(), (dir / "generation_config.json").string());
  HfTensorSource source(dir);
  const int64_t D = config.hidden_size, F = config.intermediate_size, V = config.vocab_size;
  const int64_t qd = config.num_heads * config.head_dim,
                kvd = config.num_kv_heads * config.head_dim;
  LlamaWeights w;
  w.embed_tokens = load_hf_tensor(source, "model.embed_tokens.weight", {V, D}, options);
  for (int64_t i = 0; i < config.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LlamaLayerWeights l;
    l.input_norm = load_hf_tensor(source, p + "input_layernorm.weight", {D}, options);
    l.q_proj = load_hf_tensor(source, p + "self_attn.q_proj.weight", {qd, D}, options);
    l.k_proj = load_hf_tensor(source, p + "self_attn.k_proj.weight", {kvd, D}, options);
    l.v_proj = load_hf_tensor(source, p + "self_attn.v_proj.weight", {kvd, D}, options);
    l.o_proj = load_hf_tensor(source, p + "self_attn.o_proj.weight", {D, qd}, options);
    l.post_norm = load_hf_tensor(source, p + "post_attention_layernorm.weight", {D}, options);
    l.gate_proj = load_hf_tensor(source, p + "mlp.gate_proj.weight", {F, D}, options);
    l.up_proj = load_hf_tensor(source, p + "mlp.up_proj.weight", {F, D}, options);
    l.down_proj = load_hf_tensor(source, p + "mlp.down_proj.weight", {D, F}, options);
    w.layers.push_back(std::move(l));
  }
  const std::string extra_layer =
      "model.layers." + std::to_string(config.num_layers) + ".input_layernorm.weight";
  BBPT_CHECK(!source.contains(extra_layer), ModelError,
             source.file_of(extra_layer)
                 << ": holds layer " << config.num_layers << " but config.json says "
                 << config.num_layers << " layers (num_hidden_layers)");
  w.norm = load_hf_tensor(source, "model.norm.weight", {D}, options);
  if (config.tie_word_embeddings) {
    w.lm_head = w.embed_tokens;
  } else {
    BBPT_CHECK(
        source.contains("lm_head.weight"), ModelError,
        dir.string()
            << ": no tensor 'lm_head.weight' while config.json says tie_word_embeddings false");
    w.lm_head = load_hf_tensor(source, "lm_head.weight", {V, D}, options);
  }
  config.layout = CheckpointLayout::kHuggingFace;
  return LlamaModel(std::move(config), std::move(w), options);
}

// llama2.c's header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len (int32).
LlamaConfig llama2c_config(const std::string& path, const int32_t* header, size_t file_bytes) {
  for (int i = 0; i < 7; ++i) {
    BBPT_CHECK(
        i == 5 || header[i] > 0, ModelError,
        path << ": header field " << i << " is " << header[i]
             << "; expected a llama2.c checkpoint (dim, hidden_dim, n_layers, n_heads, n_kv_heads, "
                "vocab_size, seq_len)");
  }
  LlamaConfig c;
  c.hidden_size = header[0];
  c.intermediate_size = header[1];
  c.num_layers = header[2];
  c.num_heads = header[3];
  c.num_kv_heads = header[4];
  c.tie_word_embeddings = header[5] > 0;  // a negative vocab_size marks an untied classifier
  c.vocab_size = header[5] > 0 ? header[5] : -static_cast<int64_t>(header[5]);
  c.max_position_embeddings = header[6];
  BBPT_CHECK(
      c.vocab_size > 0 && c.hidden_size % c.num_heads == 0 && c.num_heads % c.num_kv_heads == 0,
      ModelError,
      path << ": inconsistent llama2.c header (dim " << c.hidden_size << ", heads " << c.num_heads
           << ", kv heads " << c.num_kv_heads << ", vocab " << header[5] << ")");
  c.head_dim = c.hidden_size / c.num_heads;
  c.rope_theta = 10000.0;  // run.c hard-codes it
  c.rms_norm_eps = 1e-5;   // run.c's rmsnorm
  c.bos_id = 1;
  c.eos_ids = {1};  // run.c stops when the next token is BOS (1)
  c.layout = CheckpointLayout::kLlama2c;
  const int64_t floats =
      c.num_parameters() + c.max_position_embeddings * c.head_dim;  // + the unused freq_cis tables
  const size_t expected = 7 * sizeof(int32_t) + static_cast<size_t>(floats) * sizeof(float);
  BBPT_CHECK(file_bytes == expected, ModelError,
             path << ": " << file_bytes << " bytes, but its header (" << c.summary() << ") needs "
                  << expected << ": truncated, or not a llama2.c legacy (version 0) checkpoint");
  return c;
}

// Interleaved-pair RoPE rows -> rotate-half rows, per head: [n*hd, D] with (0,1),(2,3).. pairs
// -> first halves then second halves.
torch::Tensor permute_rope_rows(const torch::Tensor& w, int64_t heads, int64_t head_dim) {
  const int64_t D = w.size(1);
  return w.view({heads, head_dim / 2, 2, D}).transpose(1, 2).reshape({heads * head_dim, D});
}

LlamaModel load_llama2c(const std::string& path, const LlamaLoadOptions& options) {
  const std::string bytes = core::read_file(path);
  BBPT_CHECK(bytes.size() >= 7 * sizeof(int32_t), ModelError,
             path << ": " << bytes.size() << " bytes, too short for a llama2.c checkpoint header");
  int32_t header[7];
  std::memcpy(header, bytes.data(), sizeof(header));
  LlamaConfig c = llama2c_config(path, header, bytes.size());
  const float* cursor = reinterpret_cast<const float*>(bytes.data() + sizeof(header));
  auto take = [&](std::vector<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    torch::Tensor t = torch::from_blob(const_cast<float*>(cursor), shape, torch::kFloat32).clone();
    cursor += n;
    return t;
  };
  const int64_t D = c.hidden_size, F = c.intermediate_size, L = c.num_layers;
  const int64_t qd = c.num_heads * c.head_dim, kvd = c.num_kv_heads * c.head_dim;
  // run.c's order: every tensor of a kind for all layers, then the next kind.
  const torch::Tensor embed = take({c.vocab_size, D});
  const torch::Tensor rms_att = take({L, D});
  const torch::Tensor wq = take({L, qd, D});
  const torch::Tensor wk = take({L, kvd, D});
  const torch::Tensor wv = take({L, kvd, D});
  const torch::Tensor wo = take({L, D, qd});
  const torch::Tensor rms_ffn = take({L, D});
  const torch::Tensor w1 = take({L, F, D});
  const torch::Tensor w2 = take({L, D, F});
  const torch::Tensor w3 = take({L, F, D});
  const torch::Tensor rms_final = take({D});
  cursor += c.max_position_embeddings * c.head_dim;  // freq_cis_real and freq_cis_imag, unused
  const torch::Tensor wcls = c.tie_word_embeddings ? embed : take({c.vocab_size, D});

  auto place = [&](const torch::Tensor& t) {
    return t.to(options.device, options.dtype, false, true);
  };
  LlamaWeights w;
  w.embed_tokens = place(embed);
  for (int64_t i = 0; i < L; ++i) {
    LlamaLayerWeights l;
    l.input_norm = place(rms_att[i]);
    l.q_proj = place(permute_rope_rows(wq[i], c.num_heads, c.head_dim));
    l.k_proj = place(permute_rope_rows(wk[i], c.num_kv_heads, c.head_dim));
    l.v_proj = place(wv[i]);
    l.o_proj = place(wo[i]);
    l.post_norm = place(rms_ffn[i]);
    l.gate_proj = place(w1[i]);
    l.down_proj = place(w2[i]);
    l.up_proj = place(w3[i]);
    w.layers.push_back(std::move(l));
  }
  w.norm = place(rms_final);
  w.lm_head = c.tie_word_embeddings ? w.embed_tokens : place(wcls);
  return LlamaModel(std::move(c), std::move(w), options);
}

}  // namespace

LlamaModel LlamaModel::load(const std::string& path, const LlamaLoadOptions& options) {
  const fs::path p(path);
  BBPT_CHECK(fs::exists(p), IoError, path << ": no such file or directory");
  if (fs::is_directory(p)) return load_hf(p, options);
  BBPT_CHECK(
      p.extension() == ".bin", IoError,
      path << ": expected a Hugging Face checkpoint directory or a llama2.c .bin checkpoint");
  return load_llama2c(path, options);
}

}  // namespace bbpt::lm
