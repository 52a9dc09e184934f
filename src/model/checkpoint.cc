// SPDX-License-Identifier: MIT
// Implements checkpoint reading (TorchScript via torch::jit::load, torch.save zips via
// torch::pickle_load) and weight copying into ClipModel.
#include "bbpt/model/checkpoint.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>

#include <fstream>
#include <iterator>
#include <set>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/log.h"

namespace bbpt::model {
namespace {

constexpr const char* kExpected =
    "expected a CLIP checkpoint: an OpenAI TorchScript archive (e.g. ViT-B-16.pt) or a torch.save "
    "state dict";

// First line of a c10::Error message (the rest is a C++ stack trace nobody should see).
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string strip_module_prefix(const std::string& name) {
  const std::string prefix = "module.";
  return name.compare(0, prefix.size(), prefix) == 0 ? name.substr(prefix.size()) : name;
}

void add_entry(StateDict& state, const std::string& name, const torch::Tensor& tensor) {
  const std::string clean = strip_module_prefix(name);
  if (is_non_weight_entry(clean)) return;
  state.entries.emplace_back(clean, tensor);
}

// What kind of archive is this? Zip archives hold either TorchScript code or a pickled object.
CheckpointFormat detect_zip_format(const std::string& path) {
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (reader.hasRecord("constants.pkl") || reader.hasRecord("code/__torch__.py")) {
      return CheckpointFormat::kTorchScript;
    }
    for (const auto& record : reader.getAllRecords()) {
      if (record.rfind("code/", 0) == 0) return CheckpointFormat::kTorchScript;
    }
    BBPT_CHECK(reader.hasRecord("data.pkl"), ModelError,
               path << ": zip archive without TorchScript code or data.pkl; " << kExpected);
    return CheckpointFormat::kStateDict;
  } catch (const c10::Error& e) {
    BBPT_THROW(IoError, path << ": truncated or corrupt archive ("
                             << first_line(e.what_without_backtrace()) << "); " << kExpected);
  }
}

StateDict read_torchscript(const std::string& path) {
  StateDict state;
  state.format = CheckpointFormat::kTorchScript;
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    BBPT_THROW(IoError, path << ": cannot load TorchScript archive ("
                             << first_line(e.what_without_backtrace()) << "); " << kExpected);
  }
  for (const auto& p : module.named_parameters(/*recurse=*/true)) add_entry(state, p.name, p.value);
  for (const auto& b : module.named_buffers(/*recurse=*/true)) add_entry(state, b.name, b.value);
  return state;
}

void collect_tensors(const c10::IValue& value, const std::string& path, StateDict& state) {
  BBPT_CHECK(value.isGenericDict(), ModelError,
             path << ": torch.save archive holds a " << value.tagKind()
                  << ", expected a dict of tensors (a state_dict)");
  auto dict = value.toGenericDict();
  // open_clip / training checkpoints wrap the weights: {"state_dict": {...}, "epoch": ...}.
  for (const auto& item : dict) {
    if (item.key().isString() && item.key().toStringRef() == "state_dict") {
      collect_tensors(item.value(), path, state);
      return;
    }
  }
  for (const auto& item : dict) {
    if (!item.key().isString()) continue;
    if (item.value().isTensor())
      add_entry(state, item.key().toStringRef(), item.value().toTensor());
  }
}

StateDict read_pickled_state_dict(const std::string& path) {
  const std::string bytes = core::read_file(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& e) {
    BBPT_THROW(IoError, path << ": cannot unpickle torch.save archive ("
                             << first_line(e.what_without_backtrace()) << "); " << kExpected);
  }
  StateDict state;
  state.format = CheckpointFormat::kStateDict;
  collect_tensors(value, path, state);
  return state;
}

}  // namespace

std::string to_string(CheckpointFormat format) {
  return format == CheckpointFormat::kTorchScript ? "torchscript" : "state_dict";
}

ShapeMap StateDict::shapes() const {
  ShapeMap shapes;
  for (const auto& [name, tensor] : entries) shapes[name] = tensor.sizes().vec();
  return shapes;
}

StateDict read_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BBPT_CHECK(core::is_regular_file(path) && in, IoError,
             path << ": checkpoint file not found (" << kExpected << ")");
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, 4);
  BBPT_CHECK(in.gcount() == 4, IoError, path << ": file is empty or truncated; " << kExpected);
  const bool is_zip = magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
  if (!is_zip) {
    // Protocol-2 pickles start with 0x80: torch.save's legacy (pre-1.6) layout.
    BBPT_CHECK(static_cast<unsigned char>(magic[0]) != 0x80, IoError,
               path << ": legacy torch.save format (pre-1.6), which bbpt does not read; re-save it "
                       "with torch.save(obj, path) under PyTorch >= 1.6");
    BBPT_THROW(IoError, path << ": not a PyTorch archive (no zip header); " << kExpected);
  }
  const CheckpointFormat format = detect_zip_format(path);
  StateDict state = format == CheckpointFormat::kTorchScript ? read_torchscript(path)
                                                             : read_pickled_state_dict(path);
  BBPT_CHECK(!state.entries.empty(), ModelError,
             path << ": archive holds no tensors; " << kExpected);
  return state;
}

torch::Device parse_device(const std::string& device) {
  BBPT_CHECK(device == "cpu" || device.rfind("cuda", 0) == 0, ConfigError,
             "--device: '" << device << "' is not a device (expected cpu, cuda or cuda:N)");
  if (device == "cpu") return torch::kCPU;
  BBPT_CHECK(
      torch::cuda::is_available(), ConfigError,
      "--device " << device
                  << ": CUDA is not available (libtorch built without CUDA, or no GPU visible); "
                     "use --device cpu");
  try {
    return torch::Device(device);
  } catch (const c10::Error&) {
    BBPT_THROW(ConfigError,
               "--device: '" << device << "' is not a device (expected cuda or cuda:N)");
  }
}

torch::Dtype parse_dtype(const std::string& dtype, const torch::Device& device) {
  if (dtype == "float32") return torch::kFloat;
  BBPT_CHECK(dtype == "float16" || dtype == "bfloat16", ConfigError,
             "--dtype: '" << dtype << "' is not supported (expected float32, float16 or bfloat16)");
  BBPT_CHECK(device.is_cuda(), ConfigError,
             "--dtype " << dtype << " needs --device cuda; CPU inference runs in float32");
  return dtype == "float16" ? torch::kHalf : torch::kBFloat16;
}

ClipModel build_clip(const StateDict& state,
                     const std::string& source,
                     const ClipLoadOptions& options) {
  const torch::Device device = parse_device(options.device);
  const torch::Dtype dtype = parse_dtype(options.dtype, device);
  ClipModel model(infer_clip_config(state.shapes(), source));

  std::map<std::string, torch::Tensor> by_name(state.entries.begin(), state.entries.end());
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  auto copy_into = [&](const std::string& name, torch::Tensor& target) {
    auto it = by_name.find(name);
    BBPT_CHECK(it != by_name.end(), ModelError,
               source << ": entry '" << name << "' is missing (expected by the inferred "
                      << model->config().architecture_name() << " configuration)");
    BBPT_CHECK(it->second.sizes() == target.sizes(), ModelError,
               source << ": entry '" << name << "' has shape " << it->second.sizes()
                      << ", expected " << target.sizes());
    target.copy_(it->second.to(target.scalar_type()));  // fp16 weights -> fp32 master copy
    used.insert(name);
  };
  for (auto& p : model->named_parameters(/*recurse=*/true)) copy_into(p.key(), p.value());
  for (auto& b : model->named_buffers(/*recurse=*/true)) {
    // BatchNorm's batch counter is bookkeeping, absent from some state dicts.
    const std::string counter = "num_batches_tracked";
    const bool is_counter =
        b.key().size() >= counter.size() &&
        b.key().compare(b.key().size() - counter.size(), counter.size(), counter) == 0;
    if (is_counter && by_name.count(b.key()) == 0) continue;
    copy_into(b.key(), b.value());
  }
  if (used.size() < by_name.size()) {
    BBPT_LOG_WARN(source << ": " << by_name.size() - used.size()
                         << " checkpoint entries are not CLIP weights and were ignored");
  }
  model->to(device, dtype);
  if (dtype != torch::kFloat) {
    // CLIP keeps LayerNorm in fp32 (its LayerNorm subclass); our layer_norm_fp32 relies on that.
    for (auto& module : model->modules(/*include_self=*/false)) {
      if (module->as<torch::nn::LayerNorm>() != nullptr) module->to(torch::kFloat);
    }
  }
  model->eval();
  return model;
}

void save_state_dict(ClipModel& model, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> weights;
  for (const auto& p : model->named_parameters(/*recurse=*/true)) {
    weights.insert(p.key(), p.value().detach().to(torch::kCPU).contiguous());
  }
  for (const auto& b : model->named_buffers(/*recurse=*/true)) {
    weights.insert(b.key(), b.value().detach().to(torch::kCPU).contiguous());
  }
  const std::vector<char> bytes = torch::pickle_save(weights);
  core::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

ClipModel load_clip(const std::string& path, const ClipLoadOptions& options) {
  return build_clip(read_state_dict(path), path, options);
}

double save_image_tensor(const std::vector<float>& chw,
                         int64_t resolution,
                         const std::string& path) {
  const int64_t r = resolution;
  BBPT_CHECK(static_cast<int64_t>(chw.size()) == 3 * r * r, ConfigError,
             path << ": " << chw.size() << " values are not a 3 x " << r << " x " << r << " image");
  std::vector<float> copy = chw;
  const auto tensor = torch::from_blob(copy.data(), {1, 3, r, r}).clone();  // [1, 3, R, R]
  const auto bytes = torch::pickle_save(tensor);
  core::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
  return tensor.mean().item<double>();
}

}  // namespace bbpt::model
