// Where model.save sends a model. Saving formats and storage live in src/io,
// above this layer; io registers the one saver when the library is imported,
// so the model layer never depends on files, browsers or networks.
import type { Sequential } from './sequential.js';

/** What a save wrote, as TensorFlow.js reports it (sizes in bytes). */
export interface SaveResult {
  /** Where the model went: a directory, a storage key, or the downloaded file names. */
  location: string;
  modelArtifactsInfo: {
    dateSaved: Date;
    modelTopologyType: 'JSON';
    modelTopologyBytes: number;
    weightSpecsBytes: number;
    weightDataBytes: number;
  };
}

/**
 * A saved model in memory, in TensorFlow.js's shape (its ModelArtifacts):
 * the Keras topology, the weights' names and shapes, and every weight as
 * little-endian float32 in one buffer, in that order.
 */
export interface ModelArtifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: ArrayBuffer;
  format: string;
  generatedBy: string;
  convertedBy: string | null;
  userDefinedMetadata?: Record<string, unknown>;
}

/** Something that stores a model's artifacts itself (TensorFlow.js's IOHandler shape). */
export interface SaveHandler {
  /** Stores the model's topology, weight manifest and weights; model.save calls it with the artifacts and returns what it returns. */
  save(artifacts: ModelArtifacts): Promise<SaveResult>;
}

export type ModelSaver = (model: Sequential, target: string | SaveHandler) => Promise<SaveResult>;

let saver: ModelSaver | undefined;

export function registerModelSaver(s: ModelSaver): void {
  saver = s;
}

export function modelSaver(): ModelSaver {
  if (!saver) throw new Error("save: no model saver is registered; import the library from 'webgpu-train' (its entry point registers it)");
  return saver;
}
