// SPDX-License-Identifier: MIT
// Implements LocalLlm: loading model + tokenizer + chat format once per process, chat requests,
// GLOV's steering vector from template texts, and the checkpoint fingerprint.
#include "bbpt/lm/local_llm.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "bbpt/core/error.h"
#include "bbpt/core/sha256.h"

namespace bbpt::lm {
namespace {

namespace fs = std::filesystem;

// Bytes of each weight file that go into the fingerprint, after its size.
constexpr size_t kFingerprintPrefixBytes = 16u << 20;

std::string tokenizer_path_of(const LocalLlmOptions& options) {
  if (!options.tokenizer_path.empty()) return options.tokenizer_path;
  BBPT_CHECK(fs::is_directory(options.model_path), ConfigError,
             options.model_path
                 << ": a llama2.c checkpoint needs its tokenizer.bin (llm_tokenizer_path, or "
                    "--tokenizer)");
  return options.model_path;
}

std::vector<int64_t> widen(const std::vector<int32_t>& ids) { return {ids.begin(), ids.end()}; }

void hash_file_prefix(core::Sha256& hash, const fs::path& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  BBPT_CHECK(in, IoError, path.string() << ": cannot read");
  const auto size = fs::file_size(path);
  hash.update(path.filename().string() + ":" + std::to_string(size) + "\n");
  std::vector<char> buffer(1 << 20);
  size_t done = 0;
  while (done < limit && in) {
    in.read(buffer.data(), static_cast<std::streamsize>(std::min(buffer.size(), limit - done)));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    hash.update(buffer.data(), got);
    done += got;
  }
}

}  // namespace

torch::Device resolve_device(const std::string& device) {
  if (device == "auto")
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  try {
    const torch::Device d(device);
    BBPT_CHECK(!d.is_cuda() || torch::cuda::is_available(), ConfigError,
               "device '" << device
                          << "' asked for, but this process sees no CUDA device; use cpu or auto");
    return d;
  } catch (const c10::Error&) {
    BBPT_THROW(ConfigError, "device '" << device << "' is not one of auto, cpu, cuda, cuda:N");
  }
}

std::shared_ptr<const LocalLlm> LocalLlm::open(const LocalLlmOptions& options) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const LocalLlm>> instances;
  const std::string key =
      options.model_path + "\n" + options.tokenizer_path + "\n" + options.device;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto existing = instances[key].lock()) return existing;
  auto created = std::make_shared<const LocalLlm>(options);
  instances[key] = created;
  return created;
}

LocalLlm::LocalLlm(const LocalLlmOptions& options)
    : model_([&] {
        LlamaLoadOptions load;
        load.device = resolve_device(options.device);
        load.dtype = load.device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
        return LlamaModel::load(options.model_path, load);
      }()),
      tokenizer_(tokenizer::load_llm_tokenizer(tokenizer_path_of(options))) {
  BBPT_CHECK(tokenizer_->vocab_size() <= model_.config().vocab_size, ConfigError,
             tokenizer_path_of(options)
                 << ": the tokenizer has " << tokenizer_->vocab_size()
                 << " ids but the model's vocabulary has " << model_.config().vocab_size
                 << ": they do not belong together");
  const fs::path config = fs::path(options.model_path) / "tokenizer_config.json";
  if (fs::is_directory(options.model_path) && fs::is_regular_file(config)) {
    chat_ = std::make_unique<tokenizer::ChatTemplate>(
        tokenizer::ChatTemplate::from_tokenizer_config(config.string()));
  }
  // GLOV pads with the literal "<|eot_id|>"; other formats with their end-of-turn token, and
  // llama2.c models with their eos.
  if (const auto eot = tokenizer_->token_id("<|eot_id|>")) {
    pad_id_ = *eot;
  } else if (chat_ && !chat_->end_of_turn_ids(*tokenizer_).empty()) {
    pad_id_ = chat_->end_of_turn_ids(*tokenizer_).front();
  } else if (!model_.config().eos_ids.empty()) {
    pad_id_ = model_.config().eos_ids.front();
  }
}

std::vector<int64_t> LocalLlm::encode(const std::string& text, bool add_bos) const {
  return widen(tokenizer_->encode(text, add_bos));
}

std::vector<int64_t> LocalLlm::encode_chat(const std::vector<tokenizer::ChatTurn>& messages,
                                           bool add_generation_prompt) const {
  if (chat_) return widen(chat_->encode(*tokenizer_, messages, add_generation_prompt));
  std::string joined;
  for (const auto& m : messages) joined += (joined.empty() ? "" : "\n\n") + m.content;
  return encode(joined, /*add_bos=*/true);
}

std::vector<int64_t> LocalLlm::stop_ids() const {
  std::vector<int64_t> stop = model_.config().eos_ids;
  for (int32_t id : tokenizer_->eos_ids()) stop.push_back(id);
  if (chat_) {
    for (int32_t id : chat_->end_of_turn_ids(*tokenizer_)) stop.push_back(id);
  }
  std::sort(stop.begin(), stop.end());
  stop.erase(std::unique(stop.begin(), stop.end()), stop.end());
  return stop;
}

std::string LocalLlm::decode_generated(const std::vector<int64_t>& ids) const {
  std::vector<int32_t> kept;
  for (int64_t id : ids) {
    if (!tokenizer_->is_special(static_cast<int32_t>(id))) kept.push_back(static_cast<int32_t>(id));
  }
  return tokenizer_->decode(kept);
}

ChatCompletions LocalLlm::chat(const std::vector<tokenizer::ChatTurn>& messages,
                               bool add_generation_prompt,
                               const ChatSampling& sampling,
                               int64_t count,
                               uint64_t seed,
                               int64_t first_index,
                               const GuidanceTexts* guidance) const {
  GenerationOptions options;
  options.max_new_tokens = sampling.max_new_tokens;
  options.num_samples = count;
  options.temperature = sampling.temperature;
  options.top_k = sampling.top_k;
  options.top_p = sampling.top_p;
  options.seed = seed;
  options.first_sample_index = first_index;
  options.stop_ids = stop_ids();
  Guidance steer;
  if (guidance != nullptr) {
    steer = Guidance{guidance->layer,
                     steering_vector(guidance->positive, guidance->negative, guidance->layer),
                     guidance->alpha, guidance->schedule};
    if (guidance->max_new_tokens > 0) options.max_new_tokens = guidance->max_new_tokens;
  }
  const Generation generation =
      generate(model_, encode_chat(messages, add_generation_prompt), options, steer);
  ChatCompletions out;
  for (const auto& ids : generation.new_ids) out.texts.push_back(decode_generated(ids));
  out.prompt_tokens = generation.prompt_tokens;
  out.completion_tokens = generation.generated_tokens;
  return out;
}

torch::Tensor LocalLlm::steering_vector(const std::string& positive,
                                        const std::string& negative,
                                        int64_t layer) const {
  BBPT_CHECK(pad_id_ >= 0, ConfigError,
             "guidance needs an end-of-turn or eos token to pad the templates with; this tokenizer "
             "has none");
  std::vector<int64_t> plus = encode(positive, /*add_bos=*/true),
                       minus = encode(negative, /*add_bos=*/true);
  pad_to_equal_length(plus, minus, pad_id_);
  return lm::steering_vector(model_, plus, minus, layer);
}

std::string LocalLlm::fingerprint(const LocalLlmOptions& options) {
  core::Sha256 hash;
  const fs::path model(options.model_path);
  BBPT_CHECK(fs::exists(model), IoError,
             options.model_path << ": no such file or directory (llm_model_path)");
  std::vector<fs::path> files;
  if (fs::is_directory(model)) {
    for (const auto& entry : fs::directory_iterator(model)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file() &&
          (name.size() > 5 && (name.rfind(".json") == name.size() - 5 ||
                               name.rfind(".safetensors") == name.size() - 12))) {
        files.push_back(entry.path());
      }
    }
  } else {
    files.push_back(model);
  }
  if (!options.tokenizer_path.empty()) files.push_back(options.tokenizer_path);
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const bool weights = f.extension() == ".safetensors" || f.extension() == ".bin";
    hash_file_prefix(hash, f, weights ? kFingerprintPrefixBytes : SIZE_MAX);
  }
  return std::string(fs::is_directory(model) ? "hf" : "llama2c") + ":" + hash.hex_digest();
}

}  // namespace bbpt::lm
