/**
 * Where key rotations are recorded in the log (SPEC §5): a `KeyRotated` record on its own stream.
 * @module
 */

/** `kind` of the record that carries a key rotation statement. */
export const KEY_ROTATED_KIND = "KeyRotated";
/** Stream of key rotation records. */
export const KEYS_STREAM = "securamem.keys";
