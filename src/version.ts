/**
 * The daemon's version, in one place: the `info` action (SDK 0.7) and the 2026 protocol's `version`
 * action (SDK 0.4, section 4.9) report it. It names the newest protocol edition mosaicod serves: SDK
 * 0.7.0 "requires a mosaicod server >= 0.7" (0.7 delta, section 0); older SDKs do not check it.
 * Imports nothing.
 *
 * @module
 */

/** The daemon version, `major.minor.patch[-pre]` (semver). */
export const DAEMON_VERSION = "0.7.0";
