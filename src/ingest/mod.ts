/**
 * The ingest folder's public surface: open an upload (checks and claim), then ingest it.
 *
 * @example
 * ```ts
 * const upload = await openUpload(deps, { topicName, key });
 * try {
 *   await ingestTopic(deps, upload, { schema, batches, signal });
 * } finally {
 *   upload.release();
 * }
 * ```
 *
 * @module
 */
export { type IngestOptions, type IngestResult, ingestTopic } from "./ingest.ts";
export { stripSchemaMetadata, validateUploadSchema } from "./schema.ts";
export { DEFAULT_BYTES_IN_FLIGHT, type InputBatch, writeChunks } from "./chunk_writer.ts";
export { writeChunkManifests } from "./commit.ts";
export {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_ROW_GROUP_BYTES,
  type IngestDeps,
  openUpload,
  Upload,
} from "./upload.ts";
