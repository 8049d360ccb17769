// A tree reduction across one workgroup. The including kernel declares
// `override WG: u32` (a power of two) and calls workgroup_sum from uniform
// control flow with every invocation of the workgroup.

var<workgroup> reduce_scratch: array<vec4<f32>, WG>;

// The sum of `value` over the workgroup's invocations, returned to all of them.
fn workgroup_sum(lid: u32, value: vec4<f32>) -> vec4<f32> {
  reduce_scratch[lid] = value;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { reduce_scratch[lid] += reduce_scratch[lid + half]; }
    workgroupBarrier();
  }
  let total = reduce_scratch[0];
  workgroupBarrier();
  return total;
}
