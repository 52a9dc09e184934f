// SPDX-License-Identifier: MIT
// A restored optimizer must continue bit for bit (resume after preemption, moving state between
// ranks), and anything that is not this optimizer's state must be refused with an IoError that
// says what was found, leaving the optimizer untouched.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "bbpt/core/error.h"
#include "bbpt/optim/cma_es.h"
#include "bbpt/optim/random_gradient.h"
#include "bbpt/optim/spsa.h"
#include "test_problems.h"

namespace bbpt::optim {
namespace {

using testing::rosenbrock;
using testing::run_step;
using testing::run_steps;
using testing::sphere;
using Factory = std::function<std::unique_ptr<Optimizer>(Vector)>;

struct Case {
  std::string label;
  int64_t dimension;
  Factory make;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  out.push_back({"spsa", 12, [](Vector x) {
                   SpsaOptions o;
                   o.seed = 4;
                   o.schedule.a = 0.05;
                   return std::unique_ptr<Optimizer>(new Spsa(std::move(x), o));
                 }});
  out.push_back({"spsa-gc", 12, [](Vector x) {
                   SpsaOptions o;
                   o.seed = 4;
                   o.gradient_correction = true;
                   return std::unique_ptr<Optimizer>(new Spsa(std::move(x), o));
                 }});
  out.push_back({"random-gradient", 12, [](Vector x) {
                   RandomGradientOptions o;
                   o.lr0 = 0.05;
                   o.lr_min = 0.01;
                   o.decay_steps = 10;
                   return std::unique_ptr<Optimizer>(new RandomGradient(std::move(x), o));
                 }});
  // N = 200 has an eigen-update gap of ~2 generations, so the checkpoint falls between updates.
  out.push_back({"cma-es", 200, [](Vector x) {
                   CmaEsOptions o;
                   o.seed = 8;
                   o.sigma0 = 0.3;
                   return std::unique_ptr<Optimizer>(new CmaEs(std::move(x), o));
                 }});
  return out;
}

double shifted_rosenbrock(const Vector& x) { return rosenbrock(x.array() + 0.5); }

TEST(OptimSerialization, RestoreContinuesBitForBit) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.label);
    const Vector x0 = Vector::Zero(c.dimension);
    auto uninterrupted = c.make(x0);
    auto first = c.make(x0);
    for (int s = 0; s < 7; ++s) {
      run_step(*uninterrupted, shifted_rosenbrock);
      run_step(*first, shifted_rosenbrock);
    }
    first->ask();  // a pending ask must not matter
    const std::string bytes = first->serialize_state();

    auto resumed = c.make(Vector::Constant(c.dimension, 3.0));  // different start, same shape
    resumed->restore_state(bytes);
    EXPECT_EQ(resumed->step(), 7);
    EXPECT_EQ(resumed->name(), first->name());
    EXPECT_TRUE(resumed->current() == first->current());
    EXPECT_EQ(resumed->serialize_state(), bytes);
    for (int s = 0; s < 6; ++s) {
      ASSERT_TRUE(resumed->ask() == uninterrupted->ask()) << "step " << s;
      run_step(*uninterrupted, shifted_rosenbrock);
      run_step(*resumed, shifted_rosenbrock);
    }
    EXPECT_TRUE(resumed->current() == uninterrupted->current());
    EXPECT_EQ(resumed->serialize_state(), uninterrupted->serialize_state());
  }
}

TEST(OptimSerialization, CmaEsStateCarriesCovarianceAndBest) {
  CmaEsOptions options;
  options.population_size = 6;
  CmaEs es(Vector::Zero(5), options);
  run_steps(es, rosenbrock, 15);
  CmaEs other(Vector::Zero(5), CmaEsOptions{});
  other.restore_state(es.serialize_state());
  EXPECT_EQ(other.population_size(), 6);
  EXPECT_EQ(other.sigma(), es.sigma());
  EXPECT_TRUE(other.covariance() == es.covariance());
  EXPECT_EQ(other.best_loss(), es.best_loss());
  EXPECT_TRUE(other.best_solution() == es.best_solution());
  EXPECT_EQ(other.eigen_generation(), es.eigen_generation());
}

void expect_io_error(Optimizer& optimizer, const std::string& bytes, const std::string& needle) {
  const std::string before = optimizer.serialize_state();
  try {
    optimizer.restore_state(bytes);
    ADD_FAILURE() << "expected IoError containing '" << needle << "'";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
  EXPECT_EQ(optimizer.serialize_state(), before) << "a failed restore changed the state";
}

TEST(OptimSerialization, RejectsGarbageTruncationAndTrailingBytes) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.label);
    auto opt = c.make(Vector::Zero(c.dimension));
    run_steps(*opt, sphere(Vector::Ones(c.dimension)), 2);
    const std::string good = opt->serialize_state();
    expect_io_error(*opt, "", "not a readable state");
    expect_io_error(*opt, std::string(1000, 'x'), "not a readable state");
    expect_io_error(*opt, good.substr(0, good.size() / 2), "not a readable state");
    expect_io_error(*opt, good + "z", "unexpected bytes");
  }
}

TEST(OptimSerialization, RejectsAnotherOptimizersState) {
  Spsa spsa(Vector::Zero(12), SpsaOptions{});
  RandomGradient bar(Vector::Zero(12), RandomGradientOptions{});
  CmaEs es(Vector::Zero(12), CmaEsOptions{});
  expect_io_error(spsa, es.serialize_state(), "found 'bbpt-optim-cma-es'");
  expect_io_error(spsa, bar.serialize_state(), "found 'bbpt-optim-random-gradient'");
  expect_io_error(es, spsa.serialize_state(), "found 'bbpt-optim-spsa'");
  expect_io_error(bar, es.serialize_state(), "expected magic 'bbpt-optim-random-gradient'");
}

TEST(OptimSerialization, RejectsWrongDimensionAndVersion) {
  Spsa small(Vector::Zero(5), SpsaOptions{});
  Spsa large(Vector::Zero(6), SpsaOptions{});
  expect_io_error(large, small.serialize_state(), "dimension 5 does not match");

  std::string bytes = small.serialize_state();
  const size_t magic_at = bytes.find("bbpt-optim-spsa");
  ASSERT_NE(magic_at, std::string::npos);
  bytes[magic_at + 32] = 99;  // the uint32 format version follows the 32-byte magic field
  expect_io_error(small, bytes, "format version 99");
}

}  // namespace
}  // namespace bbpt::optim
