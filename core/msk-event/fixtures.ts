/** Valid canonical records for tests of landing and decoding. */
export const validVote = {
  voter_id: "0b7e0f4a-6a54-4c1e-9a39-2d2b8f1c4e11",
  candidate_id: "cand-1",
  voting_time: "2026-11-03T14:05:00.000Z",
  state: "Ohio",
  vote: 1,
};

export const validOrder = {
  "Row ID": 1,
  "Order ID": "CA-2016-152156",
  "Order Date": "2016-11-08",
  "Ship Date": "2016-11-11",
  "Ship Mode": "Second Class",
  "Customer ID": "CG-12520",
  "Customer Name": "Claire Gute",
  Segment: "Consumer",
  Country: "United States",
  City: "Henderson",
  State: "Kentucky",
  "Postal Code": "42420",
  Region: "South",
  "Product ID": "FUR-BO-10001798",
  Category: "Furniture",
  "Sub-Category": "Bookcases",
  "Product Name": 'Bush Somerset Collection Bookcase, 5" "deep"',
  Sales: 261.96,
  Quantity: 2,
  Discount: 0,
  Profit: 41.9136,
};
