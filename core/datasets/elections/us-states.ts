/**
 * Reference data for generated voters: the 50 states and DC with their 2020 census population
 * (thousands, the draw weight), a few real cities, the ZIP prefix range and the UTC offset.
 */
export interface UsState {
  readonly name: string;
  readonly population: number;
  readonly cities: readonly string[];
  /** First ZIP code of the state's range (5 digits, leading zeros dropped as randomuser.me does). */
  readonly zipBase: number;
  readonly tz: { readonly offset: string; readonly description: string };
}

const EASTERN = { offset: "-5:00", description: "Eastern Time (US & Canada), Bogota, Lima" };
const CENTRAL = { offset: "-6:00", description: "Central Time (US & Canada), Mexico City" };
const MOUNTAIN = { offset: "-7:00", description: "Mountain Time (US & Canada)" };
const PACIFIC = { offset: "-8:00", description: "Pacific Time (US & Canada)" };
const ALASKA = { offset: "-9:00", description: "Alaska" };
const HAWAII = { offset: "-10:00", description: "Hawaii" };

const s = (
  name: string,
  population: number,
  zipBase: number,
  tz: UsState["tz"],
  ...cities: string[]
): UsState => ({
  name,
  population,
  cities,
  zipBase,
  tz,
});

export const US_STATES: readonly UsState[] = [
  s("Alabama", 5024, 35000, CENTRAL, "Birmingham", "Montgomery", "Huntsville"),
  s("Alaska", 733, 99500, ALASKA, "Anchorage", "Fairbanks"),
  s("Arizona", 7152, 85000, MOUNTAIN, "Phoenix", "Tucson", "Mesa"),
  s("Arkansas", 3012, 71600, CENTRAL, "Little Rock", "Fayetteville"),
  s("California", 39538, 90000, PACIFIC, "Los Angeles", "San Diego", "San Jose", "San Francisco", "Fresno"),
  s("Colorado", 5774, 80000, MOUNTAIN, "Denver", "Colorado Springs", "Aurora"),
  s("Connecticut", 3606, 6000, EASTERN, "Bridgeport", "New Haven", "Hartford"),
  s("Delaware", 990, 19700, EASTERN, "Wilmington", "Dover"),
  s("District of Columbia", 690, 20000, EASTERN, "Washington"),
  s("Florida", 21538, 32000, EASTERN, "Jacksonville", "Miami", "Tampa", "Orlando"),
  s("Georgia", 10712, 30000, EASTERN, "Atlanta", "Augusta", "Savannah"),
  s("Hawaii", 1455, 96700, HAWAII, "Honolulu", "Hilo"),
  s("Idaho", 1839, 83200, MOUNTAIN, "Boise", "Meridian"),
  s("Illinois", 12813, 60000, CENTRAL, "Chicago", "Aurora", "Springfield"),
  s("Indiana", 6786, 46000, EASTERN, "Indianapolis", "Fort Wayne"),
  s("Iowa", 3190, 50000, CENTRAL, "Des Moines", "Cedar Rapids"),
  s("Kansas", 2938, 66000, CENTRAL, "Wichita", "Overland Park"),
  s("Kentucky", 4506, 40000, EASTERN, "Louisville", "Lexington"),
  s("Louisiana", 4658, 70000, CENTRAL, "New Orleans", "Baton Rouge"),
  s("Maine", 1362, 3900, EASTERN, "Portland", "Lewiston"),
  s("Maryland", 6177, 20600, EASTERN, "Baltimore", "Frederick"),
  s("Massachusetts", 7030, 1000, EASTERN, "Boston", "Worcester", "Springfield"),
  s("Michigan", 10077, 48000, EASTERN, "Detroit", "Grand Rapids", "Lansing"),
  s("Minnesota", 5706, 55000, CENTRAL, "Minneapolis", "Saint Paul"),
  s("Mississippi", 2961, 38600, CENTRAL, "Jackson", "Gulfport"),
  s("Missouri", 6155, 63000, CENTRAL, "Kansas City", "St. Louis", "Springfield"),
  s("Montana", 1084, 59000, MOUNTAIN, "Billings", "Missoula"),
  s("Nebraska", 1962, 68000, CENTRAL, "Omaha", "Lincoln"),
  s("Nevada", 3105, 88900, PACIFIC, "Las Vegas", "Henderson", "Reno"),
  s("New Hampshire", 1378, 3000, EASTERN, "Manchester", "Nashua"),
  s("New Jersey", 9289, 7000, EASTERN, "Newark", "Jersey City", "Paterson"),
  s("New Mexico", 2118, 87000, MOUNTAIN, "Albuquerque", "Las Cruces"),
  s("New York", 20201, 10000, EASTERN, "New York", "Buffalo", "Rochester", "Yonkers"),
  s("North Carolina", 10439, 27000, EASTERN, "Charlotte", "Raleigh", "Greensboro"),
  s("North Dakota", 779, 58000, CENTRAL, "Fargo", "Bismarck"),
  s("Ohio", 11799, 43000, EASTERN, "Columbus", "Cleveland", "Cincinnati"),
  s("Oklahoma", 3959, 73000, CENTRAL, "Oklahoma City", "Tulsa"),
  s("Oregon", 4237, 97000, PACIFIC, "Portland", "Salem", "Eugene"),
  s("Pennsylvania", 13003, 15000, EASTERN, "Philadelphia", "Pittsburgh", "Allentown"),
  s("Rhode Island", 1097, 2800, EASTERN, "Providence", "Warwick"),
  s("South Carolina", 5118, 29000, EASTERN, "Charleston", "Columbia"),
  s("South Dakota", 887, 57000, CENTRAL, "Sioux Falls", "Rapid City"),
  s("Tennessee", 6910, 37000, CENTRAL, "Nashville", "Memphis", "Knoxville"),
  s("Texas", 29145, 75000, CENTRAL, "Houston", "San Antonio", "Dallas", "Austin", "Fort Worth"),
  s("Utah", 3271, 84000, MOUNTAIN, "Salt Lake City", "West Valley City", "Provo"),
  s("Vermont", 643, 5000, EASTERN, "Burlington", "South Burlington"),
  s("Virginia", 8631, 22000, EASTERN, "Virginia Beach", "Norfolk", "Richmond"),
  s("Washington", 7705, 98000, PACIFIC, "Seattle", "Spokane", "Tacoma"),
  s("West Virginia", 1794, 24700, EASTERN, "Charleston", "Huntington"),
  s("Wisconsin", 5894, 53000, CENTRAL, "Milwaukee", "Madison"),
  s("Wyoming", 577, 82000, MOUNTAIN, "Cheyenne", "Casper"),
];
