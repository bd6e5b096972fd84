/**
 * The daemon's version, in one place: the 2026 protocol's `version` action reports it (section 4.9).
 * It names the protocol edition mosaicod is compatible with (SDK 0.4.0). Imports nothing.
 *
 * @module
 */

/** The daemon version, `major.minor.patch[-pre]` (semver). */
export const DAEMON_VERSION = "0.4.0";
