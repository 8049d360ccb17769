// Losses, their gradients and the accuracy metric, one row at a time, for
// the kernels that score a batch: loss.wgsl (the prediction given, each row's
// loss and accuracy also written to row_stats) and head-loss.wgsl (the output
// layer's product computed first, in the same dispatch). The including kernel
// declares `pred`, `truth`, `grad`, `totals` and `dims`. dLoss/dPrediction is
// written for every output, already divided by the batch size, so the
// gradient is that of the batch *mean* loss.
//
// LOSS: 0 mean squared error, 1 binary cross-entropy,
//       2 categorical cross-entropy, 3 sparse categorical cross-entropy.
// FROM_LOGITS: the prediction is the pre-activation z of a sigmoid (LOSS 1) or
// softmax (LOSS 2, 3) output; the loss is then computed in its stable form
// and the gradient is taken with respect to z, which fuses the activation's
// backward pass away. Otherwise the prediction is a probability, clamped to
// [EPSILON, 1 − EPSILON] before any log.
// ACCURACY: 0 binary (threshold 0.5), 1 categorical (argmax), 2 sparse (argmax
// against an integer label).

// REDUCE: also add the batch's loss and accuracy sums into `totals` (one
// workgroup does every row, then combines its partial sums with
// lib/reduce.wgsl), so a training step needs no separate reduction dispatch.
// BATCH_ROWS (lib/batch-rows.wgsl): `truth` is a whole data set's targets,
// and the batch's are rows of it, read in place.
//
// ADVANCE (with REDUCE: its one workgroup has read every row's targets once
// the sums are in): the step's bookkeeping in the same dispatch. The cursor
// (batch_cursor at batch.cursor_at) moves on by the batch's rows; with
// ADVANCE_STEP the step count at step_at grows by one and, with a SCHEDULE,
// the rate at rate_at (its base one after it) becomes the scheduled rate for
// the step about to be taken — optimizer.wgsl's advance_step, without a
// dispatch of its own. The three live in one small buffer, bound once.
override REDUCE: bool = false;
override ADVANCE: bool = false;
override ADVANCE_STEP: bool = false;
override LOSS: u32 = 0u;
override FROM_LOGITS: bool = false;
override ACCURACY: u32 = 0u;
override WG: u32 = 64u;
const EPSILON: f32 = 1e-7;

// batch: where the batch's targets are (lib/batch-rows.wgsl). k, weights_at,
// bias_at and has_bias describe the product head_loss computes first (its
// input's width, and where W and b are in the one binding that holds both).
struct Dims {
  rows: u32, cols: u32, grad_scale: f32, stride: u32,
  batch: BatchAt,
  step_at: u32, rate_at: u32, k: u32, weights_at: u32,
  bias_at: u32, has_bias: u32, _p0: u32, _p1: u32,
  schedule: Schedule,
}

fn sigmoid(z: f32) -> f32 {
  return activate(2u, z);
}

// The value the metric compares: a probability for binary accuracy; for argmax
// any monotone score works, so logits are used as they are.
fn probability(v: f32) -> f32 {
  if (FROM_LOGITS && LOSS == 1u) { return sigmoid(v); }
  return v;
}

// The stored target of the batch's row at col (a sparse label is col 0 of its row).
fn stored_truth(row: u32, col: u32) -> f32 {
  let r = batch_row(row, dims.batch);
  if (BATCH_ROWS && r == NO_ROW) { return 0.0; }
  if (LOSS == 3u) { return truth[r]; }
  return truth[r * dims.cols + col];
}

fn target_at(row: u32, col: u32) -> f32 {
  if (LOSS == 3u) { return select(0.0, 1.0, u32(stored_truth(row, 0u)) == col); }
  return stored_truth(row, col);
}

fn row_accuracy(row: u32) -> f32 {
  let base = row * dims.cols;
  if (ACCURACY == 0u) {
    var right = 0.0;
    for (var j = 0u; j < dims.cols; j++) {
      let p = probability(pred[base + j]) > 0.5;
      let t = stored_truth(row, j) > 0.5;
      right += select(0.0, 1.0, p == t);
    }
    return right / f32(dims.cols);
  }
  var best = 0u;
  for (var j = 1u; j < dims.cols; j++) {
    if (pred[base + j] > pred[base + best]) { best = j; }
  }
  if (ACCURACY == 2u) { return select(0.0, 1.0, best == u32(stored_truth(row, 0u))); }
  var want = 0u;
  for (var j = 1u; j < dims.cols; j++) {
    if (stored_truth(row, j) > stored_truth(row, want)) { want = j; }
  }
  return select(0.0, 1.0, best == want);
}

fn mean_squared_error(row: u32) -> f32 {
  let base = row * dims.cols;
  var loss = 0.0;
  for (var j = 0u; j < dims.cols; j++) {
    let d = pred[base + j] - stored_truth(row, j);
    loss += d * d;
    grad[base + j] = 2.0 * d * dims.grad_scale;
  }
  return loss / f32(dims.cols);
}

fn binary_crossentropy(row: u32) -> f32 {
  let base = row * dims.cols;
  var loss = 0.0;
  for (var j = 0u; j < dims.cols; j++) {
    let y = stored_truth(row, j);
    let v = pred[base + j];
    if (FROM_LOGITS) {
      // max(z, 0) − z·y + log(1 + e^−|z|): never overflows, exact in both tails.
      loss += max(v, 0.0) - v * y + log(1.0 + exp(-abs(v)));
      grad[base + j] = (sigmoid(v) - y) * dims.grad_scale;
    } else {
      let p = clamp(v, EPSILON, 1.0 - EPSILON);
      loss -= y * log(p) + (1.0 - y) * log(1.0 - p);
      grad[base + j] = (p - y) / (p * (1.0 - p)) * dims.grad_scale;
    }
  }
  return loss / f32(dims.cols);
}

fn categorical_crossentropy(row: u32) -> f32 {
  let base = row * dims.cols;
  var loss = 0.0;
  if (FROM_LOGITS) {
    // log-sum-exp with the max subtracted; d/dz = softmax(z)·Σy − y.
    var m = pred[base];
    for (var j = 1u; j < dims.cols; j++) { m = max(m, pred[base + j]); }
    var total = 0.0;
    for (var j = 0u; j < dims.cols; j++) { total += exp(pred[base + j] - m); }
    let lse = m + log(total);
    var target_sum = 0.0;
    for (var j = 0u; j < dims.cols; j++) {
      let y = target_at(row, j);
      loss += y * (lse - pred[base + j]);
      target_sum += y;
    }
    for (var j = 0u; j < dims.cols; j++) {
      let s = exp(pred[base + j] - lse);
      grad[base + j] = (s * target_sum - target_at(row, j)) * dims.grad_scale;
    }
  } else {
    for (var j = 0u; j < dims.cols; j++) {
      let y = target_at(row, j);
      let p = clamp(pred[base + j], EPSILON, 1.0);
      loss -= y * log(p);
      grad[base + j] = -y / p * dims.grad_scale;
    }
  }
  return loss;
}

// One row's loss (its gradient written to `grad`).
fn row_loss(row: u32) -> f32 {
  switch LOSS {
    case 0u: { return mean_squared_error(row); }
    case 1u: { return binary_crossentropy(row); }
    default: { return categorical_crossentropy(row); }
  }
}

// After every row: with REDUCE (one workgroup scored them all) the sums go
// into `totals`, and with ADVANCE the step's bookkeeping follows.
fn finish_batch(lid: u32, sums: vec2<f32>) {
  if (REDUCE) {
    let total = workgroup_sum(lid, vec4<f32>(sums, 0.0, 0.0));
    if (lid == 0u) {
      totals[0] += total.x;
      totals[1] += total.y;
    }
    if (ADVANCE) {
      // Every invocation's reads of the cursor come before it moves.
      storageBarrier();
      if (lid == 0u) { advance(); }
    }
  }
}

fn advance() {
  batch_cursor[dims.batch.cursor_at] += f32(dims.rows);
  if (ADVANCE_STEP) {
    let t = batch_cursor[dims.step_at] + 1.0;
    batch_cursor[dims.step_at] = t;
    if (SCHEDULE != 0u) { batch_cursor[dims.rate_at] = scheduled(dims.schedule, batch_cursor[dims.rate_at + 1u], t - 1.0); }
  }
}
