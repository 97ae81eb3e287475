/** Python's datetime.strftime in the C locale (plus glibc's `%-d` no-padding flag), for `strftime_now`. */

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** The composite codes, as the C locale spells them out. */
const COMPOSITES: Record<string, string> = { F: "%Y-%m-%d", D: "%m/%d/%y", T: "%H:%M:%S", c: "%a %b %e %H:%M:%S %Y" };

export function strftime(date: Date, format: string): string {
  return format.replace(/%(-?)([a-zA-Z%])/g, (match, noPad: string, code: string) => {
    const composite = COMPOSITES[code];
    if (composite !== undefined) return strftime(date, composite);
    const pad = (n: number, width = 2, fill = "0"): string => (noPad ? String(n) : String(n).padStart(width, fill));
    const hours12 = date.getHours() % 12 === 0 ? 12 : date.getHours() % 12;
    const startOfYear = new Date(date.getFullYear(), 0, 1);
    const dayOfYear = Math.round((new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime() - startOfYear.getTime()) / 86_400_000) + 1;
    switch (code) {
      case "a":
        return DAYS[date.getDay()].slice(0, 3);
      case "A":
        return DAYS[date.getDay()];
      case "b":
      case "h":
        return MONTHS[date.getMonth()].slice(0, 3);
      case "B":
        return MONTHS[date.getMonth()];
      case "d":
        return pad(date.getDate());
      case "e":
        return pad(date.getDate(), 2, " ");
      case "H":
        return pad(date.getHours());
      case "I":
        return pad(hours12);
      case "j":
        return pad(dayOfYear, 3);
      case "m":
        return pad(date.getMonth() + 1);
      case "M":
        return pad(date.getMinutes());
      case "p":
        return date.getHours() < 12 ? "AM" : "PM";
      case "S":
        return pad(date.getSeconds());
      case "f":
        return String(date.getMilliseconds() * 1000).padStart(6, "0");
      case "w":
        return String(date.getDay());
      case "y":
        return pad(date.getFullYear() % 100);
      case "Y":
        return String(date.getFullYear());
      case "Z":
      case "z":
        return "";
      case "%":
        return "%";
      default:
        return match;
    }
  });
}
