/**
 * Whether a deletable resource of the store layout (a sequence or topic by uuid, a session by ULID) is
 * still in the catalog: a tombstone or removal job for one that is must not remove its objects.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import { isUlid } from "../model/ulid.ts";

/** Whether the catalog still holds the resource a tombstone or deletion job names. */
export async function resourceInCatalog(catalog: Catalog, id: string): Promise<boolean> {
  if (isUlid(id)) return await catalog.getSessionByUlid(id) !== null;
  return (await catalog.getSequenceByUuid(id)) !== null || (await catalog.getTopicByUuid(id)) !== null;
}
