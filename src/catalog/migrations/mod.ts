/**
 * Every catalog migration, in the order they apply. Append only: an applied migration never changes.
 *
 * @module
 */
import * as init from "./0001_init.ts";
import * as eventsJobs from "./0002_events_jobs.ts";
import * as apiKeys from "./0003_api_keys.ts";
import * as eventLogId from "./0004_event_log_id.ts";
import * as historyRetention from "./0005_history_retention.ts";
import * as sessions from "./0006_sessions.ts";
import * as apiKeyManage from "./0007_api_key_manage.ts";
import type { SqlDriver } from "../driver.ts";

export interface Migration {
  /** Unique, increasing; recorded in `schema_migrations.version`. */
  version: number;
  name: string;
  sql: string;
  /** A step SQL cannot express, run after `sql` in the same transaction. */
  after?: (tx: SqlDriver) => Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: init.name, sql: init.sql },
  { version: 2, name: eventsJobs.name, sql: eventsJobs.sql },
  { version: 3, name: apiKeys.name, sql: apiKeys.sql },
  { version: 4, name: eventLogId.name, sql: eventLogId.sql },
  { version: 5, name: historyRetention.name, sql: historyRetention.sql },
  { version: 6, name: sessions.name, sql: sessions.sql, after: sessions.after },
  { version: 7, name: apiKeyManage.name, sql: apiKeyManage.sql },
];
