/**
 * `--topics` of the toolkit commands (import, export): comma-separated glob patterns (the grammar of
 * `model/glob.ts`: `*` also crosses `/`, `?`, `#`, `[..]`), case-sensitive, whole names, applied in order: a
 * plain pattern adds the topics it matches, `!pattern` removes them; with no plain pattern the start set is
 * every topic. The patterns that match nothing are returned, so that a command can report them.
 *
 * Layer: imports only `model/` and `errors.ts`.
 *
 * @module
 */
import { ConfigError, InvalidArgumentError } from "../errors.ts";
import { globMatcher, parseGlob } from "../model/glob.ts";

/** The topics kept, and the patterns that matched nothing. */
export interface TopicSelection {
  selected: Set<string>;
  unmatched: string[];
}

/** One parsed pattern. */
interface Step {
  pattern: string;
  exclude: boolean;
  matches: (name: string) => boolean;
}

function parseSteps(patterns: readonly string[]): Step[] {
  return patterns.map((pattern) => {
    const exclude = pattern.startsWith("!");
    const text = exclude ? pattern.slice(1) : pattern;
    if (text === "") throw new ConfigError(`--topics has an empty pattern: "${patterns.join(",")}"`);
    try {
      return { pattern, exclude, matches: globMatcher(parseGlob(text)) };
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw new ConfigError(`--topics: ${err.message}`);
      throw err;
    }
  });
}

/**
 * Applies `patterns` (the `--topics` list, split at commas) to `topics`.
 * @throws ConfigError for an empty or malformed pattern.
 */
export function selectTopics(topics: readonly string[], patterns: readonly string[]): TopicSelection {
  const steps = parseSteps(patterns);
  const selected = new Set(steps.some((s) => !s.exclude) ? [] : topics);
  const unmatched: string[] = [];
  for (const step of steps) {
    const hits = topics.filter(step.matches);
    if (hits.length === 0) unmatched.push(step.pattern);
    for (const t of hits) step.exclude ? selected.delete(t) : selected.add(t);
  }
  return { selected, unmatched };
}

/** The same selection as a predicate on one name at a time (the last pattern that matches decides). */
export function topicPredicate(patterns: readonly string[]): (name: string) => boolean {
  const steps = parseSteps(patterns);
  const startAll = steps.every((s) => s.exclude);
  return (name) => {
    let keep = startAll;
    for (const s of steps) if (s.matches(name)) keep = !s.exclude;
    return keep;
  };
}
