import { describe, expect, it } from "vitest";
import {
  InvalidScheduleExpressionError,
  InvalidScheduleTimezoneError,
  nextFireTime,
  type ScheduleWindow,
  validateScheduleExpression,
} from "./expression.ts";

/** The next `n` fire times after `after`, as ISO strings (fewer when the schedule runs out). */
function fireTimes(
  expression: string,
  after: string,
  n: number,
  timezone = "UTC",
  window: ScheduleWindow = {},
) {
  const times: string[] = [];
  let cursor: Date | undefined = new Date(after);
  while (times.length < n) {
    cursor = nextFireTime(expression, cursor, timezone, window);
    if (!cursor) break;
    times.push(cursor.toISOString());
  }
  return times;
}

const at = (...isoMinutes: string[]) => isoMinutes.map((t) => new Date(`${t}:00Z`).toISOString());

// AWS's example table and CLI examples for cron and rate expressions:
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
// (the syntax EventBridge Scheduler uses: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
// 2026-01-01 is a Thursday.
const awsExamples: { expression: string; meaning: string; after: string; expected: string[] }[] = [
  {
    expression: "cron(0 10 * * ? *)",
    meaning: "Run at 10:00 am (UTC+0) every day",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T10:00", "2026-01-02T10:00", "2026-01-03T10:00"),
  },
  {
    expression: "cron(15 12 * * ? *)",
    meaning: "Run at 12:15 pm (UTC+0) every day",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T12:15", "2026-01-02T12:15", "2026-01-03T12:15"),
  },
  {
    expression: "cron(0 18 ? * MON-FRI *)",
    meaning: "Run at 6:00 pm (UTC+0) every Monday through Friday",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T18:00", "2026-01-02T18:00", "2026-01-05T18:00", "2026-01-06T18:00"),
  },
  {
    expression: "cron(0 8 1 * ? *)",
    meaning: "Run at 8:00 am (UTC+0) every 1st day of the month",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T08:00", "2026-02-01T08:00", "2026-03-01T08:00"),
  },
  {
    expression: "cron(0/15 * * * ? *)",
    meaning: "Run every 15 minutes",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T00:15", "2026-01-01T00:30", "2026-01-01T00:45", "2026-01-01T01:00"),
  },
  {
    expression: "cron(0/10 * ? * MON-FRI *)",
    meaning: "Run every 10 minutes Monday through Friday",
    after: "2026-01-02T23:40:00Z",
    expected: at("2026-01-02T23:50", "2026-01-05T00:00", "2026-01-05T00:10"),
  },
  {
    expression: "cron(0/5 8-17 ? * MON-FRI *)",
    meaning: "Run every 5 minutes Monday through Friday between 8:00 am and 5:55 pm (UTC+0)",
    after: "2026-01-01T17:45:00Z",
    expected: at("2026-01-01T17:50", "2026-01-01T17:55", "2026-01-02T08:00", "2026-01-02T08:05"),
  },
  {
    expression: "cron(0/30 20-2 ? * MON-FRI *)",
    meaning:
      "Run every 30 minutes Monday through Friday between 10:00 pm on the starting day to 2:00 am on the following day (UTC); from 12:00 am to 2:00 am on Monday morning",
    after: "2026-01-02T19:00:00Z",
    expected: at(
      "2026-01-02T20:00",
      "2026-01-02T20:30",
      "2026-01-02T21:00",
      "2026-01-02T21:30",
      "2026-01-02T22:00",
      "2026-01-02T22:30",
      "2026-01-02T23:00",
      "2026-01-02T23:30",
      "2026-01-05T00:00",
      "2026-01-05T00:30",
      "2026-01-05T01:00",
      "2026-01-05T01:30",
      "2026-01-05T02:00",
      "2026-01-05T02:30",
      "2026-01-05T20:00",
    ),
  },
  {
    expression: "cron(0 12 * * ? *)",
    meaning: "runs every day at 12:00pm UTC+0",
    after: "2026-01-01T12:00:00Z",
    expected: at("2026-01-02T12:00", "2026-01-03T12:00"),
  },
  {
    expression: "cron(5,35 14 * * ? *)",
    meaning: "runs every day, at 2:05pm and 2:35pm UTC+0",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T14:05", "2026-01-01T14:35", "2026-01-02T14:05"),
  },
  {
    expression: "cron(15 10 ? * 6L 2019-2022)",
    meaning: "runs at 10:15am UTC+0 on the last Friday of each month during the years 2019 to 2022",
    after: "2022-10-01T00:00:00Z",
    // and nothing after 2022
    expected: at("2022-10-28T10:15", "2022-11-25T10:15", "2022-12-30T10:15"),
  },
  {
    expression: "cron(0 0 ? * 3#2 *)",
    meaning: "3#2 would be the second Tuesday of the month",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-13T00:00", "2026-02-10T00:00", "2026-03-10T00:00"),
  },
  {
    expression: "cron(0 0 3W * ? *)",
    meaning: "3W specifies the weekday closest to the third day of the month",
    after: "2026-01-01T00:00:00Z",
    // 3 Jan 2026 is a Saturday → Friday the 2nd
    expected: at("2026-01-02T00:00", "2026-02-03T00:00", "2026-03-03T00:00"),
  },
  {
    expression: "cron(0 0 1 JAN,FEB,MAR ? *)",
    meaning: "In the Month field, JAN,FEB,MAR includes January, February, and March",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-02-01T00:00", "2026-03-01T00:00", "2027-01-01T00:00"),
  },
  {
    expression: "cron(0 0 14-15 * ? *)",
    meaning: "In the Day field, 1-15 includes days 1 through 15 of the specified month",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-14T00:00", "2026-01-15T00:00", "2026-02-14T00:00"),
  },
  {
    expression: "cron(1/10 * * * ? *)",
    meaning:
      "1/10 specifies every tenth minute, starting from the first minute of the hour (11th, 21st, 31st…)",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T00:01", "2026-01-01T00:11", "2026-01-01T00:21", "2026-01-01T00:31"),
  },
  {
    expression: "rate(5 minutes)",
    meaning: "every five minutes",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T00:05", "2026-01-01T00:10"),
  },
  {
    expression: "rate(1 hour)",
    meaning: "once an hour",
    after: "2026-01-01T00:00:00Z",
    expected: at("2026-01-01T01:00", "2026-01-01T02:00"),
  },
];

describe("AWS's documented schedule examples", () => {
  it.each(awsExamples)("$expression — $meaning", ({ expression, after, expected }) => {
    expect(fireTimes(expression, after, expected.length)).toEqual(expected);
  });
});

describe("AWS's cron semantics where other cron dialects differ", () => {
  it.each([
    {
      // Counts from the field's first value (1): the old runtime counted from 0 and ran Mar, Jun, Sep, Dec.
      what: "a step in month starts at January",
      expression: "cron(0 0 1 */3 ? *)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-04-01T00:00", "2026-07-01T00:00", "2026-10-01T00:00", "2027-01-01T00:00"),
    },
    {
      what: "a step in day-of-month starts at the 1st",
      expression: "cron(0 0 */10 * ? *)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-01-11T00:00", "2026-01-21T00:00", "2026-01-31T00:00", "2026-02-01T00:00"),
    },
    {
      what: "day-of-week 1 is Sunday",
      expression: "cron(0 0 ? * 1 *)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-01-04T00:00", "2026-01-11T00:00"),
    },
    {
      what: "L alone in day-of-week is Saturday",
      expression: "cron(0 0 ? * L *)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-01-03T00:00", "2026-01-10T00:00"),
    },
    {
      what: "the 3rd Friday (6#3)",
      expression: "cron(0 9 ? * FRI#3 *)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-01-16T09:00", "2026-02-20T09:00", "2026-03-20T09:00"),
    },
    {
      what: "a 5th Thursday only in months that have one",
      expression: "cron(0 0 ? * 5#5 *)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-01-29T00:00", "2026-04-30T00:00", "2026-07-30T00:00"),
    },
    {
      what: "L in February of a leap year is the 29th (and 2100 is no leap year)",
      expression: "cron(0 0 L 2 ? *)",
      after: "2027-03-01T00:00:00Z",
      expected: at("2028-02-29T00:00", "2029-02-28T00:00", "2030-02-28T00:00"),
    },
    {
      what: "L in February 2100",
      expression: "cron(0 0 L 2 ? 2100)",
      after: "2099-03-01T00:00:00Z",
      expected: at("2100-02-28T00:00"),
    },
    {
      what: "LW: the last weekday of the month",
      expression: "cron(0 0 LW * ? *)",
      after: "2026-01-01T00:00:00Z",
      // Jan 31 Sat → 30th; Feb 28 Sat → 27th; Mar 31 Tue; Apr 30 Thu; May 31 Sun → 29th
      expected: at(
        "2026-01-30T00:00",
        "2026-02-27T00:00",
        "2026-03-31T00:00",
        "2026-04-30T00:00",
        "2026-05-29T00:00",
      ),
    },
    {
      what: "31W stays in the month (Sat 31 Jan → Fri 30, Sun 31 May → Fri 29) and skips months without a 31st",
      expression: "cron(0 0 31W * ? *)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-01-30T00:00", "2026-03-31T00:00", "2026-05-29T00:00", "2026-07-31T00:00"),
    },
    {
      what: "1W on a Saturday the 1st moves forward to Monday the 3rd",
      expression: "cron(0 0 1W 8 ? 2026)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-08-03T00:00"),
    },
    {
      what: "names in a wrapping day-of-week range (FRI-MON)",
      expression: "cron(0 0 ? * FRI-MON *)",
      after: "2026-01-01T00:00:00Z",
      expected: at(
        "2026-01-02T00:00",
        "2026-01-03T00:00",
        "2026-01-04T00:00",
        "2026-01-05T00:00",
        "2026-01-09T00:00",
      ),
    },
    {
      what: "a stepped range",
      expression: "cron(10-40/15 3 * * ? *)",
      after: "2026-01-01T00:00:00Z",
      expected: at("2026-01-01T03:10", "2026-01-01T03:25", "2026-01-01T03:40", "2026-01-02T03:10"),
    },
  ])("$what: $expression", ({ expression, after, expected }) => {
    expect(fireTimes(expression, after, expected.length)).toEqual(expected);
  });

  it("ends with the last year the expression names", () => {
    expect(nextFireTime("cron(15 10 ? * 6L 2019-2022)", new Date("2022-12-30T10:15:00Z"))).toBeUndefined();
    expect(nextFireTime("cron(0 0 1W 8 ? 2026)", new Date("2026-08-03T00:00:00Z"))).toBeUndefined();
    expect(nextFireTime("cron(0 0 L * ? *)", new Date("2199-12-31T00:00:00Z"))).toBeUndefined();
  });
});

describe("time zones and daylight saving time", () => {
  // New York, 2026: clocks go 02:00 EST → 03:00 EDT on 8 March and 02:00 EDT → 01:00 EST on 1 November.
  const newYork = "America/New_York";

  it("evaluates cron on the zone's wall clock", () => {
    expect(fireTimes("cron(0 9 * * ? *)", "2025-12-31T23:00:00Z", 2, "Asia/Tokyo")).toEqual(
      at("2026-01-01T00:00", "2026-01-02T00:00"),
    );
    expect(fireTimes("cron(0 9 * * ? *)", "2026-06-01T00:00:00Z", 1, "Europe/Paris")).toEqual(
      at("2026-06-01T07:00"),
    );
  });

  it("skips a local time that spring-forward removes", () => {
    expect(fireTimes("cron(30 2 * * ? *)", "2026-03-07T00:00:00Z", 3, newYork)).toEqual(
      at("2026-03-07T07:30", "2026-03-09T06:30", "2026-03-10T06:30"),
    );
  });

  it("runs a local time that fall-back repeats only once", () => {
    expect(fireTimes("cron(30 1 * * ? *)", "2026-10-31T00:00:00Z", 3, newYork)).toEqual(
      at("2026-10-31T05:30", "2026-11-01T05:30", "2026-11-02T06:30"),
    );
    // Hourly: 01:00 EDT fires, the repeated 01:00 EST does not, 02:00 EST does.
    expect(fireTimes("cron(0 * * * ? *)", "2026-11-01T04:00:00Z", 3, newYork)).toEqual(
      at("2026-11-01T05:00", "2026-11-01T07:00", "2026-11-01T08:00"),
    );
  });

  it("keeps the local hour across the change", () => {
    expect(fireTimes("cron(0 8 ? * SUN *)", "2026-03-01T00:00:00Z", 2, newYork)).toEqual(
      at("2026-03-01T13:00", "2026-03-08T12:00"),
    );
  });

  it("counts a rate in elapsed time: a day is 24 hours, also across DST", () => {
    const window = { startDate: new Date("2026-03-07T12:00:00Z") };
    expect(fireTimes("rate(1 day)", "2026-03-01T00:00:00Z", 3, newYork, window)).toEqual(
      at("2026-03-07T12:00", "2026-03-08T12:00", "2026-03-09T12:00"),
    );
  });

  it("reads at() in the schedule's time zone, UTC by default", () => {
    expect(fireTimes("at(2026-06-01T12:00:00)", "2026-01-01T00:00:00Z", 2)).toEqual(at("2026-06-01T12:00"));
    expect(fireTimes("at(2026-07-04T09:30:00)", "2026-01-01T00:00:00Z", 2, newYork)).toEqual(
      at("2026-07-04T13:30"),
    );
    expect(nextFireTime("at(2026-06-01T12:00:00)", new Date("2026-06-01T12:00:00Z"))).toBeUndefined();
  });

  it("refuses a time zone that is not an IANA name", () => {
    expect(() => nextFireTime("rate(1 hour)", new Date(), "Mars/Olympus")).toThrow(
      InvalidScheduleTimezoneError,
    );
    expect(() => validateScheduleExpression("rate(1 hour)", "+02:00")).toThrow(InvalidScheduleTimezoneError);
    expect(() => validateScheduleExpression("rate(1 hour)", "Europe/Berlin")).not.toThrow();
  });
});

describe("StartDate and EndDate", () => {
  it("counts rate occurrences from StartDate, the first at StartDate itself", () => {
    const window = { startDate: new Date("2026-01-01T00:07:00Z") };
    expect(fireTimes("rate(10 minutes)", "2026-01-01T00:00:00Z", 2, "UTC", window)).toEqual(
      at("2026-01-01T00:07", "2026-01-01T00:17"),
    );
    expect(fireTimes("rate(10 minutes)", "2026-01-01T00:20:00Z", 1, "UTC", window)).toEqual(
      at("2026-01-01T00:27"),
    );
  });

  it("fires cron from StartDate on and nothing after EndDate", () => {
    const window = { startDate: new Date("2026-01-03T10:00:00Z"), endDate: new Date("2026-01-05T10:00:00Z") };
    expect(fireTimes("cron(0 10 * * ? *)", "2026-01-01T00:00:00Z", 5, "UTC", window)).toEqual(
      at("2026-01-03T10:00", "2026-01-04T10:00", "2026-01-05T10:00"),
    );
  });

  it("ignores them for at()", () => {
    const window = { startDate: new Date("2026-09-01T00:00:00Z"), endDate: new Date("2026-01-02T00:00:00Z") };
    expect(fireTimes("at(2026-06-01T12:00:00)", "2026-01-01T00:00:00Z", 1, "UTC", window)).toEqual(
      at("2026-06-01T12:00"),
    );
  });
});

describe("expressions AWS accepts", () => {
  it.each([
    "rate(1 minute)",
    "rate(2 minutes)",
    "rate(1 day)",
    "rate(30 days)",
    "cron(0 0 ? * 2#1 *)",
    "cron(0 0 ? * mon-fri *)",
    "cron(0 0 L * ? 2199)",
    "cron(0 0 ? * 6L 1970)",
    "at(2028-02-29T23:59:59)",
    // Verified against AWS by the reporter of https://github.com/localstack/localstack/issues/13572
    "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)",
    "cron(30-30 13-13 ? * 2,4,6 *)",
    "cron(1-31/30 1-1 ? * 1,7 *)",
  ])("%s", (expression) => {
    expect(() => validateScheduleExpression(expression)).not.toThrow();
  });
});

describe("expressions AWS refuses", () => {
  it.each([
    ["cron(* * * * * *)", "* in both day-of-month and day-of-week"],
    ["cron(0 0 1 * 2 *)", "a value in both day fields"],
    // https://github.com/localstack/localstack/pull/12156: AWS answers ValidationException for this one
    ["cron(7 20 * * 1-7 *)", "no ? in either day field"],
    ["cron(0 0 ? * ? *)", "? in both day fields"],
    ["cron(0 0 * * ?)", "five fields"],
    ["cron(0 0 0 * * ? *)", "seven fields (a seconds field)"],
    ["cron(60 0 * * ? *)", "minute 60"],
    ["cron(0 24 * * ? *)", "hour 24"],
    ["cron(0 0 0 * ? *)", "day-of-month 0"],
    ["cron(0 0 32 * ? *)", "day-of-month 32"],
    ["cron(0 0 1 13 ? *)", "month 13"],
    ["cron(0 0 ? * 0 *)", "day-of-week 0 (Unix Sunday)"],
    ["cron(0 0 ? * 8 *)", "day-of-week 8"],
    ["cron(0 0 ? * MON-FRX *)", "an unknown day name"],
    ["cron(0 0 1 JANUARY ? *)", "a month name that is not three letters"],
    ["cron(0 0 * * ? 1969)", "a year before 1970"],
    ["cron(0 0 * * ? 2200)", "a year after 2199"],
    ["cron(0 0 * * ? 2030-2026)", "a backwards year range"],
    ["cron(0 0 ? * 3#1,6#3 *)", "two # expressions"],
    ["cron(0 0 ? * 2#6 *)", "a 6th weekday"],
    ["cron(0/0 * * * ? *)", "a step of 0"],
    ["cron(0 0 32W * ? *)", "W on day 32"],
    ["cron(*/ * * * ? *)", "a step without a value"],
    ["cron()", "no fields"],
    ["rate(0 minutes)", "a rate of 0"],
    ["rate(-5 minutes)", "a negative rate"],
    ["rate(1.5 hours)", "a fractional rate"],
    ["rate(1 minutes)", "plural unit for 1"],
    ["rate(5 minute)", "singular unit for 5"],
    ["rate(1 week)", "an unknown unit"],
    ["rate(5minutes)", "no space"],
    ["rate(05 minutes)", "a leading zero"],
    ["at(2026-02-30T00:00:00)", "30 February"],
    ["at(2026-01-01T24:00:00)", "hour 24"],
    ["at(2026-01-01 00:00:00)", "a space instead of T"],
    ["at(2026-01-01T00:00)", "no seconds"],
    ["at(2026-01-01T00:00:00Z)", "a zone suffix"],
    ["every(1 hour)", "an unknown kind"],
    ["", "empty"],
  ])("%s (%s)", (expression) => {
    let thrown: unknown;
    try {
      validateScheduleExpression(expression);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidScheduleExpressionError);
    expect((thrown as Error).name).toBe("ValidationException");
    expect((thrown as Error).message).toMatch(`Invalid Schedule Expression ${expression}.`);
  });
});
