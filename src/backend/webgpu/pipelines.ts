// Compute pipelines, compiled once per (kernel source, entry point,
// specialization constants) and cached. WGSL compilation is the slowest thing
// a WebGPU program does on the CPU, so it must never happen per call.

export type Constants = Record<string, number | boolean>;

export interface KernelSource {
  /** The WGSL file's base name, e.g. "matmul". */
  name: string;
  code: string;
  /** The binding index of the file's uniform block. */
  uniformBinding: number;
  /**
   * `const` declarations a pipeline may set, by rewriting their value in the
   * source. WGSL sizes private arrays only with const-expressions, so register
   * blocks cannot be `override`s; everything else is.
   */
  sourceConstants?: readonly string[];
}

export class PipelineCache {
  /** By file name and source-constant values. */
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Validation errors from pipeline creation, reported at the next flush. */
  readonly errors: Promise<string | undefined>[] = [];

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  /** "file:entry:constants" of every compiled pipeline. */
  keys(): string[] {
    return [...this.pipelines.keys()];
  }

  get(source: KernelSource, entryPoint: string, constants: Constants = {}): GPUComputePipeline {
    const key = `${source.name}:${entryPoint}:${Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',')}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;

    const [inSource, overrides] = splitConstants(source, constants);
    const moduleKey = `${source.name}:${JSON.stringify(inSource)}`;
    let module = this.modules.get(moduleKey);
    if (!module) {
      module = this.compile(source, specialize(source, inSource));
      this.modules.set(moduleKey, module);
    }
    this.device.pushErrorScope('validation');
    pipeline = this.device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint, constants: toNumbers(overrides) },
    });
    this.errors.push(this.device.popErrorScope().then((e) => (e ? `compiling ${key}: ${e.message}` : undefined)));
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  private compile(source: KernelSource, code: string): GPUShaderModule {
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label: `${source.name}.wgsl` });
    const failed = this.device.popErrorScope();
    // Report the compiler's own messages with file and line, not Dawn's summary.
    this.errors.push(
      failed.then(async (e) => {
        if (!e) return undefined;
        const info = await module.getCompilationInfo();
        const lines = info.messages
          .filter((m) => m.type === 'error')
          .map((m) => `shaders/${source.name}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`);
        return `compiling shaders/${source.name}.wgsl: ${lines.join('; ') || e.message}`;
      }),
    );
    return module;
  }
}

function toNumbers(constants: Constants): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(constants)) out[k] = typeof v === 'boolean' ? Number(v) : v;
  return out;
}

function splitConstants(source: KernelSource, constants: Constants): [Record<string, number>, Constants] {
  const inSource: Record<string, number> = {};
  const overrides: Constants = {};
  for (const [k, v] of Object.entries(constants)) {
    if (source.sourceConstants?.includes(k)) inSource[k] = Number(v);
    else overrides[k] = v;
  }
  return [inSource, overrides];
}

/** The source with `const NAME: u32 = …;` set to the requested values. */
export function specialize(source: KernelSource, values: Record<string, number>): string {
  let code = source.code;
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${source.name}.wgsl: ${name} must be a non-negative integer, got ${value}`);
    const declaration = new RegExp(`const ${name}: u32 = \\d+u;`);
    if (!declaration.test(code)) throw new Error(`${source.name}.wgsl has no 'const ${name}: u32 = …u;' to specialize`);
    code = code.replace(declaration, `const ${name}: u32 = ${value}u;`);
  }
  return code;
}
