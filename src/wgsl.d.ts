// WGSL sources are imported as text (Vite's ?raw), inlined into the built
// library, and read the same way by the tests and the demo.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
