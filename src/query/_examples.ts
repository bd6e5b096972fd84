/**
 * The query examples of protocol section 9.7 (and two the grammar also takes), those of the 2026
 * protocol's section 9.7, and SDK 0.6/0.7 shapes (0.7 delta section 4), as JSON text: shared by the
 * parser's tests and the query fuzzer's seeds.
 *
 * @module
 */

export const PROTOCOL_QUERY_EXAMPLES: readonly string[] = [
  `{"ontology": {"imu.acceleration.x": {"$geq": 0.01}}}`,
  `{"ontology": {"imu.header.stamp.sec": {"$eq": 1700000000}, "imu.header.stamp.nanosec": {"$geq": 259999990}}}`,
  `{"ontology": {"imu.acceleration.x": {"$between": [0.0, 1.0]}}, "topic": {"name": {"$match": "camera/left"}}}`,
  `{"ontology": {"imu.header.stamp.sec": {"$eq": 1700000000}}, "topic": {"user_metadata": {"sensor_id": {"$eq": "imu_front_01"}}}, "sequence": {"name": {"$eq": "test-sequence-datastream"}}}`,
  `{"ontology": {"gps.status.service": {"$geq": 1}}, "topic": {"user_metadata": {"interface.type": {"$eq": "UART"}}}}`,
  `{"sequence": {"name": {"$eq": "s"}, "created_timestamp": {"$leq": 1765000000500}}}`,
  `{"topic": {"ontology_tag": {"$eq": "imu"}, "created_timestamp": {"$between": [1765000000500, 1765000600000]}}}`,
  `{"sequence": {"name": {"$match": "test-query-"}, "user_metadata": {"status": {"$eq": "raw"}, "visibility": {"$eq": "private"}}}}`,
  `{"topic": {"user_metadata": {"bias_stability": {"$gt": 0.01}, "serial_number": {"$eq": "X"}}}}`,
  `{"ontology": {"imu.timestamp_ns": {"$between": [100, 500]}}}`,
  `{"sequence": {"name": {"$in": ["s1"]}}, "topic": {"name": {"$in": ["/a/b", "/c"]}}}`,
];

/** 2026 protocol 9.7: what the 0.4.0 SDK builders send. */
export const PROTOCOL_2026_QUERY_EXAMPLES: readonly string[] = [
  `{"ontology": {"imu.acceleration.x": {"$gt": 0}, "include_timestamp_range": true}}`,
  `{"ontology": {"gps.timestamp_ns": {"$geq": 1700000000260000000}, "gps.status.service": {"$eq": 2}}}`,
  `{"ontology": {"imu.acceleration.x": {"$between": [0.0, 1.0]}}, "topic": {"locator": {"$match": "camera/left"}}}`,
  `{"sequence": {"locator": {"$eq": "s"}, "created_at_ns": {"$leq": 1776870000000000000}}}`,
  `{"topic": {"ontology_tag": {"$eq": "imu"}, "created_at_ns": {"$between": [1000000000, 2000000000]}, "user_metadata": {"bias_stability": {"$between": [0.005, 0.015]}}}}`,
  `{"sequence": {"user_metadata": {"visibility": {"$eq": "team-01"}}}, "topic": {"locator": {"$eq": "/front/imu"}}}`,
  `{"topic": {"locator": {"$in": ["/topic11", "/topic12", "/topic21"]}, "ontology_tag": {"$eq": "image"}}}`,
  `{"ontology": {"pressure.value": {"$geq": 100}}}`,
];

/** SDK 0.6/0.7 (0.7 delta Q1, Q4, Q5, Q7): bodies its builders send, as read from the changelogs. */
export const PROTOCOL_07_QUERY_EXAMPLES: readonly string[] = [
  `{"sequence": {"name": {"$match": "test_*"}}}`,
  `{"topic": {"name": {"$in": ["/front/imu", "/gps"]}}}`,
  `{"ontology": {"imu.acceleration.x": {"$outside": [-1.0, 1.0]}}}`,
  `{"ontology": {"gps.status.service": {"$in": [1, 2]}}, "topic": {"name": {"$match": "*/gps"}}}`,
  `{"sequence": {"user_metadata": {"robot.*": {"$match": "rov*"}}}}`,
  `{"topic": {"user_metadata": {"firmware": {"$geq": "2.0"}}, "ontology_tag": {"$eq": "imu"}}}`,
  `{"ontology": {"imu.header.frame_id": {"$neq": "base"}, "imu.stamp": {"$geq": "2024-05-01T12:00:00.500000+00:00"}}}`,
  `{"sequence": {"name": {"$eq": "s"}, "created_at_ns": {"$outside": [0, 1776870000000000000]}}}`,
];
