#pragma once
// The synthetic side: the trace generator with its planted patterns, the demo trace, their ground
// truth, and the accuracy harness that scores mined rules against it. Not in expose/expose.hpp:
// a pipeline over real traffic needs none of it. The truth's JSON form is expose/synth/truth_json.hpp.

#include "expose/accuracy.hpp"
#include "expose/synth/demo.hpp"
#include "expose/synth/demo_truth.hpp"
#include "expose/synth/generator.hpp"
#include "expose/synth/truth.hpp"
