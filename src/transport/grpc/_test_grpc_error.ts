/**
 * Test helper of src/transport/grpc/: the GrpcError a promise rejects with. Imported by tests only.
 *
 * @module
 */
import { GrpcError } from "./status.ts";

/** The GrpcError `p` rejects with; fails when it resolves or rejects with anything else. */
export async function grpcError(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GrpcError) return err;
    throw err;
  }
  throw new Error("expected a GrpcError");
}
