// REQUIRE_GPU=1 / REQUIRE_BROWSER=1 (as CI sets them): a missing WebGPU
// adapter or browser is then a failure, never a skip. One reading for every test.
const flag = (name: string) => /^(1|true)$/.test(process.env[name] ?? '');

export const gpuRequired = flag('REQUIRE_GPU');
export const browserRequired = flag('REQUIRE_BROWSER');
