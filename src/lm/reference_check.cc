// SPDX-License-Identifier: MIT
// Implements the model-side reference checks of `bbpt lm check`.
#include "bbpt/lm/reference_check.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/lm/generation.h"

namespace bbpt::lm {
namespace {

using nlohmann::json;

torch::Tensor to_tensor(const json& nested) {
  std::vector<float> flat;
  std::vector<int64_t> shape;
  const json* level = &nested;
  while (level->is_array()) {
    shape.push_back(static_cast<int64_t>(level->size()));
    if (level->empty()) break;
    level = &(*level)[0];
  }
  std::function<void(const json&)> collect = [&](const json& value) {
    if (value.is_array()) {
      for (const auto& v : value) collect(v);
    } else {
      flat.push_back(value.get<float>());
    }
  };
  collect(nested);
  return torch::tensor(flat).view(shape);
}

LmCheckResult numeric(const std::string& name,
                      const torch::Tensor& ours,
                      const torch::Tensor& ref,
                      double tolerance) {
  LmCheckResult r;
  r.name = name;
  if (ours.sizes() != ref.sizes()) {
    std::ostringstream detail;
    detail << "shape " << ours.sizes() << " vs reference " << ref.sizes();
    r.detail = detail.str();
    r.rel_err = 1;
    return r;
  }
  const double scale = std::max(ref.abs().max().item<double>(), 1e-12);
  r.rel_err = (ours.to(torch::kCPU, torch::kFloat32) - ref).abs().max().item<double>() / scale;
  r.passed = r.rel_err <= tolerance;
  return r;
}

LmCheckResult exact(const std::string& name,
                    const std::vector<int64_t>& ours,
                    const std::vector<int64_t>& ref) {
  LmCheckResult r;
  r.name = name;
  r.passed = ours == ref;
  if (!r.passed) {
    size_t i = 0;
    while (i < ours.size() && i < ref.size() && ours[i] == ref[i]) ++i;
    std::ostringstream detail;
    detail << "first difference at position " << i << " of " << ref.size() << " (ours "
           << (i < ours.size() ? std::to_string(ours[i]) : "end") << ", reference "
           << (i < ref.size() ? std::to_string(ref[i]) : "end") << "; ours has " << ours.size()
           << " ids)";
    r.detail = detail.str();
  }
  return r;
}

std::vector<int64_t> ids_of(const json& value) { return value.get<std::vector<int64_t>>(); }

void check_hf_reference(const LlamaModel& model,
                        const json& ref,
                        const LmCheckOptions& options,
                        std::vector<LmCheckResult>& out) {
  const json& forward = ref.at("forward");
  const std::vector<int64_t> ids = ids_of(forward.at("ids"));
  const torch::Tensor batch = torch::tensor(ids, torch::kInt64).view({1, -1});
  out.push_back(numeric("logits", model.logits(batch)[0], to_tensor(forward.at("logits")),
                        options.tolerance));
  const std::vector<torch::Tensor> hidden = model.hidden_states(batch);
  const json& means = forward.at("hidden_states_mean");
  for (size_t i = 0; i < means.size() && i < hidden.size(); ++i) {
    out.push_back(numeric("hidden_states[" + std::to_string(i) + "] mean", hidden[i][0].mean(0),
                          to_tensor(means[i]), options.tolerance));
  }
  if (means.size() != hidden.size()) {
    out.push_back(
        {"hidden_states count", false, 0,
         std::to_string(hidden.size()) + " vs reference " + std::to_string(means.size())});
  }

  const json& guidance = ref.at("guidance");
  const int64_t layer = guidance.at("layer").get<int64_t>();
  const torch::Tensor vector = steering_vector(model, ids_of(guidance.at("best_padded_ids")),
                                               ids_of(guidance.at("worst_padded_ids")), layer);
  out.push_back(
      numeric("steering vector", vector, to_tensor(guidance.at("vector")), options.tolerance));
  GenerationOptions generation;
  generation.temperature = 0;
  generation.max_new_tokens = guidance.at("max_new_tokens").get<int64_t>();
  generation.stop_ids = {guidance.at("eos").get<int64_t>()};
  const std::vector<int64_t> prompt = ids_of(guidance.at("prompt_ids"));
  for (const auto& greedy : guidance.at("greedy")) {
    Guidance g{layer, vector, greedy.at("alpha").get<double>(), GuidanceSchedule::kConstant};
    std::ostringstream name;
    name << "greedy ids, alpha " << g.alpha << " (KV cache)";
    out.push_back(exact(name.str(), generate(model, prompt, generation, g).new_ids[0],
                        ids_of(greedy.at("new_ids"))));
  }
}

// run.c -t 0 -n steps: positions 0..steps-1 run, the prompt included; stops when it produces BOS.
void check_llama2c_reference(const LlamaModel& model,
                             const json& ref,
                             const LocalLlm* text_encoder,
                             std::vector<LmCheckResult>& out) {
  for (const auto& c : ref.at("cases")) {
    const std::vector<int64_t> prompt =
        text_encoder != nullptr
            ? text_encoder->encode(c.at("prompt").get<std::string>(), /*add_bos=*/true)
            : ids_of(c.at("prompt_ids"));
    GenerationOptions generation;
    generation.temperature = 0;
    generation.max_new_tokens =
        c.at("steps").get<int64_t>() - static_cast<int64_t>(prompt.size()) + 1;
    generation.stop_ids =
        ref.contains("stop_ids") ? ids_of(ref.at("stop_ids")) : std::vector<int64_t>{1};
    out.push_back(exact("greedy ids from \"" + c.at("prompt").get<std::string>() + "\"",
                        generate(model, prompt, generation).new_ids[0], ids_of(c.at("new_ids"))));
  }
}

json read_reference(const std::string& path) {
  try {
    return json::parse(core::read_file(path));
  } catch (const json::exception& e) {
    BBPT_THROW(IoError, path << ": not valid JSON (" << e.what() << ")");
  }
}

}  // namespace

std::vector<LmCheckResult> check_tokenizer_against_reference(const LocalLlm& llm,
                                                             const std::string& reference_path) {
  const json ref = read_reference(reference_path);
  std::vector<LmCheckResult> out;
  try {
    if (ref.contains("tokenizer")) {
      for (const auto& item : ref.at("tokenizer")) {
        const std::string text = item.at("text").get<std::string>();
        out.push_back(exact("ids of \"" + text + "\"", llm.encode(text, /*add_bos=*/true),
                            ids_of(item.at("ids"))));
      }
    }
    if (ref.contains("chat")) {
      const json& chat = ref.at("chat");
      std::vector<tokenizer::ChatTurn> messages;
      for (const auto& m : chat.at("messages")) {
        messages.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
      }
      out.push_back(exact("chat ids, generation prompt", llm.encode_chat(messages, true),
                          ids_of(chat.at("ids_add_generation_prompt"))));
      out.push_back(exact("chat ids, no generation prompt", llm.encode_chat(messages, false),
                          ids_of(chat.at("ids_no_generation_prompt"))));
    }
    if (ref.contains("cases")) {
      for (const auto& c : ref.at("cases")) {
        const std::string prompt = c.at("prompt").get<std::string>();
        const std::vector<int64_t> ours = llm.encode(prompt, /*add_bos=*/true);
        const std::vector<int64_t> listed = ids_of(c.at("prompt_ids"));
        LmCheckResult r = exact("prompt ids of \"" + prompt + "\"", ours, listed);
        const auto implied =
            c.at("steps").get<int64_t>() + 1 - static_cast<int64_t>(c.at("new_ids").size());
        if (!r.passed && listed.size() < ours.size() &&
            std::equal(listed.begin(), listed.end(), ours.begin()) &&
            implied == static_cast<int64_t>(ours.size())) {
          r.passed = true;
          r.detail = "the reference lists " + std::to_string(listed.size()) +
                     " ids, but its steps and " + std::to_string(c.at("new_ids").size()) +
                     " new ids imply " + std::to_string(implied) +
                     " prompt ids, which are these: it dropped the last ones";
        }
        out.push_back(r);
      }
    }
  } catch (const json::exception& e) {
    BBPT_THROW(IoError, reference_path << ": missing or malformed field (" << e.what() << ")");
  }
  return out;
}

std::vector<LmCheckResult> check_model_against_reference(const LlamaModel& model,
                                                         const std::string& reference_path,
                                                         const LmCheckOptions& options,
                                                         const LocalLlm* text_encoder) {
  const json ref = read_reference(reference_path);
  std::vector<LmCheckResult> out;
  try {
    if (ref.contains("forward") && ref.contains("guidance")) {
      check_hf_reference(model, ref, options, out);
    } else if (ref.contains("cases")) {
      check_llama2c_reference(model, ref, text_encoder, out);
    } else {
      BBPT_THROW(
          IoError,
          reference_path
              << ": neither a Hugging Face fixture reference (forward, guidance) nor a llama2.c "
                 "reference (cases)");
    }
  } catch (const json::exception& e) {
    BBPT_THROW(IoError, reference_path << ": missing or malformed field (" << e.what() << ")");
  }
  return out;
}

}  // namespace bbpt::lm
