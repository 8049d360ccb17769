// Activations, shared by every kernel that applies one or its derivative.
// Codes: 0 linear, 1 relu, 2 sigmoid, 3 tanh (ACTIVATION_CODE in kernels.ts).
// Kernels pass an override constant as `code`, so the switch folds away.

fn activate(code: u32, x: f32) -> f32 {
  switch code {
    case 1u: { return max(x, 0.0); }
    case 2u: {
      // Stable in both tails: exp never sees a large positive argument.
      if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
      let e = exp(x);
      return e / (1.0 + e);
    }
    case 3u: { return tanh(clamp(x, -15.0, 15.0)); }
    default: { return x; }
  }
}

// f'(x) written with the output y = f(x) (relu: y > 0, sigmoid: y(1 − y),
// tanh: 1 − y²), so a backward pass never needs the pre-activation.
fn derivative_from_output(code: u32, y: f32) -> f32 {
  switch code {
    case 1u: { return select(0.0, 1.0, y > 0.0); }
    case 2u: { return y * (1.0 - y); }
    case 3u: { return 1.0 - y * y; }
    default: { return 1.0; }
  }
}
