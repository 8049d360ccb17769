// Compute pipelines, compiled once per (kernel, entry point, specialization
// constants) and cached. WGSL compilation is the slowest thing a WebGPU
// program does on the CPU, so it must never happen per call.
//
// Each kernel's bind group layout is written out from the bindings its WGSL
// declares (not inferred per entry point), so every entry point of a kernel
// takes the same bind group and a binding an entry does not use is simply
// bound to a placeholder.

export type Constants = Record<string, number | boolean>;

export type BindingKind = 'read' | 'read_write' | 'uniform';

/** One file of a composed kernel. */
export interface KernelPart {
  /** Path from the repository root, for error messages. */
  file: string;
  code: string;
}

export interface KernelSource {
  /** The kernel's name, e.g. "matmul". */
  name: string;
  parts: readonly KernelPart[];
  /** The parts, joined. */
  code: string;
  /** Every @group(0) binding the kernel declares, by index. */
  bindings: ReadonlyMap<number, BindingKind>;
  /** The binding index of the kernel's uniform block. */
  uniformBinding: number;
  /**
   * `const` declarations a pipeline may set, by rewriting their value in the
   * source. WGSL sizes private arrays only with const-expressions, so register
   * blocks cannot be `override`s; everything else is.
   */
  sourceConstants?: readonly string[];
}

const BINDING = /@group\(0\)\s*@binding\((\d+)\)\s*var<(storage|uniform)(?:\s*,\s*(read|read_write))?>/g;

/** A kernel from its parts (library first), with its bindings read from the WGSL. */
export function composeKernel(name: string, parts: readonly KernelPart[], sourceConstants?: readonly string[]): KernelSource {
  const code = parts.map((p) => p.code).join('\n');
  const bindings = new Map<number, BindingKind>();
  for (const m of code.matchAll(BINDING)) {
    const index = Number(m[1]);
    const kind: BindingKind = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'read_write' : 'read';
    const seen = bindings.get(index);
    if (seen && seen !== kind) throw new Error(`${name}: binding ${index} is declared both ${seen} and ${kind}`);
    bindings.set(index, kind);
  }
  const uniforms = [...bindings].filter(([, k]) => k === 'uniform').map(([i]) => i);
  if (uniforms.length > 1) throw new Error(`${name}: more than one uniform binding (${uniforms.join(', ')})`);
  return { name, parts, code, bindings, uniformBinding: uniforms[0] ?? -1, ...(sourceConstants ? { sourceConstants } : {}) };
}

/** "shaders/file.wgsl:line" of a line of the composed source. */
export function sourceLocation(source: KernelSource, line: number): string {
  let first = 1;
  for (const p of source.parts) {
    const lines = p.code.split('\n').length;
    if (line < first + lines) return `${p.file}:${line - first + 1}`;
    first += lines;
  }
  return `${source.name}:${line}`;
}

export class PipelineCache {
  /** By kernel name and source-constant values. */
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Validation errors from pipeline creation, reported at the next flush. */
  readonly errors: Promise<string | undefined>[] = [];

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  /** "kernel:entry:constants" of every compiled pipeline. */
  keys(): string[] {
    return [...this.pipelines.keys()];
  }

  /** The bind group layout every entry point of this kernel uses. */
  layout(source: KernelSource): GPUBindGroupLayout {
    let layout = this.layouts.get(source.name);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [...source.bindings].map(([binding, kind]) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
      }));
      layout = this.device.createBindGroupLayout({ label: source.name, entries });
      this.layouts.set(source.name, layout);
    }
    return layout;
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
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(source)] }),
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
          .map((m) => `${sourceLocation(source, m.lineNum)}:${m.linePos}: ${m.message}`);
        return `compiling the ${source.name} kernel: ${lines.join('; ') || e.message}`;
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
    if (!Number.isInteger(value) || value < 0) throw new Error(`${source.name}: ${name} must be a non-negative integer, got ${value}`);
    const declaration = new RegExp(`const ${name}: u32 = \\d+u;`);
    if (!declaration.test(code)) throw new Error(`${source.name} has no 'const ${name}: u32 = …u;' to specialize`);
    code = code.replace(declaration, `const ${name}: u32 = ${value}u;`);
  }
  return code;
}
