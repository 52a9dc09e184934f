// SPDX-License-Identifier: MIT
// The constructors of the method runners (one file each), used by make_method.
#pragma once
#include <memory>

#include "bbpt/run/method.h"

namespace bbpt::run {

std::unique_ptr<Method> make_zeroshot_method(const CommonOptions& common,
                                             RunConfig& config,
                                             TrialContext& context);
std::unique_ptr<Method> make_zip_method(const CommonOptions& common,
                                        RunConfig& config,
                                        TrialContext& context);
std::unique_ptr<Method> make_spsa_gc_method(const CommonOptions& common,
                                            RunConfig& config,
                                            TrialContext& context);
std::unique_ptr<Method> make_bptvlm_method(const CommonOptions& common,
                                           RunConfig& config,
                                           TrialContext& context);
std::unique_ptr<Method> make_bar_method(const CommonOptions& common,
                                        RunConfig& config,
                                        TrialContext& context);
std::unique_ptr<Method> make_coop_method(const CommonOptions& common,
                                         RunConfig& config,
                                         TrialContext& context);
std::unique_ptr<Method> make_llm_opt_method(const CommonOptions& common,
                                            RunConfig& config,
                                            TrialContext& context);
std::unique_ptr<Method> make_ipo_method(const CommonOptions& common,
                                        RunConfig& config,
                                        TrialContext& context);
std::unique_ptr<Method> make_glov_method(const CommonOptions& common,
                                         RunConfig& config,
                                         TrialContext& context);

}  // namespace bbpt::run
