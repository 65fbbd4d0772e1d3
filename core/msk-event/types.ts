import type { MSKEvent, MSKRecord } from "aws-lambda";

/**
 * One record of an MSK event. `@types/aws-lambda` declares `key` as always present, but
 * Lambda leaves it out for records produced without a key, so it is optional here.
 */
export type MskRecord = Omit<MSKRecord, "key"> & { key?: string };

/** The event Lambda's MSK event source mapping delivers (`records` keyed "<topic>-<partition>"). */
export type MskEvent = Omit<MSKEvent, "records"> & { records: Record<string, MskRecord[]> };
