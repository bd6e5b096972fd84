import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { selectTopics, topicPredicate } from "./topic_select.ts";

const TOPICS = ["/camera/left", "/camera/right", "/imu", "/gps/fix_1"];

Deno.test("selectTopics(): plain patterns add, ! removes, in order; unmatched patterns are reported", () => {
  assert.deepEqual([...selectTopics(TOPICS, ["/camera/*", "!*right"]).selected], ["/camera/left"]);
  assert.deepEqual([...selectTopics(TOPICS, ["!/camera/*"]).selected], ["/imu", "/gps/fix_1"]);
  assert.deepEqual([...selectTopics(TOPICS, ["!/imu", "/imu"]).selected], ["/imu"]);
  assert.deepEqual([...selectTopics(TOPICS, ["/gps/fix_#"]).selected], ["/gps/fix_1"]);
  assert.deepEqual(selectTopics(TOPICS, ["/lidar*", "/imu"]).unmatched, ["/lidar*"]);
  assert.deepEqual([...selectTopics(TOPICS, []).selected], TOPICS);
});

Deno.test("topicPredicate() keeps what selectTopics() selects, name by name", () => {
  for (const patterns of [["/camera/*", "!*right"], ["!/camera/*"], ["!/imu", "/imu"], ["/c?mera/[lr]*"]]) {
    const keep = topicPredicate(patterns);
    assert.deepEqual(TOPICS.filter(keep), [...selectTopics(TOPICS, patterns).selected], patterns.join(","));
  }
});

Deno.test("empty and malformed patterns are refused with the option's name", () => {
  assert.throws(() => selectTopics(TOPICS, ["/imu", "!"]), ConfigError);
  assert.throws(() => topicPredicate([""]), /--topics has an empty pattern/);
  assert.throws(() => selectTopics(TOPICS, ["/camera/[ab"]), /^ConfigError: --topics: Invalid glob pattern/);
});
