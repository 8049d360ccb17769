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
}

export class PipelineCache {
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

    let module = this.modules.get(source.name);
    if (!module) {
      module = this.compile(source);
      this.modules.set(source.name, module);
    }
    this.device.pushErrorScope('validation');
    pipeline = this.device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint, constants: toNumbers(constants) },
    });
    this.errors.push(this.device.popErrorScope().then((e) => (e ? `compiling ${key}: ${e.message}` : undefined)));
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  private compile(source: KernelSource): GPUShaderModule {
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: source.code, label: `${source.name}.wgsl` });
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
