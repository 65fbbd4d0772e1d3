/**
 * The consumer group of one Kafka event source mapping: unique among all of an account's Kafka
 * event sources, as AWS requires — one per environment, function and topic. The CDK app names
 * the mappings with it; the benchmark finds land-records' progress by it.
 */
export function kafkaConsumerGroupId(envName: string, functionName: string, topic: string): string {
  return `${envName}-${functionName}-${topic}`;
}
