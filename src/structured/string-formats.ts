/**
 * GBNF for the inside of JSON strings of a given `format`. Each grammar
 * produces a subset of what ajv-formats' full mode accepts (e.g. no 29
 * February, no leap seconds), so every generated value validates.
 */

const twoDigitMonthDay = [
  '( "01" | "03" | "05" | "07" | "08" | "10" | "12" ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] )',
  '( "04" | "06" | "09" | "11" ) "-" ( "0" [1-9] | [12] [0-9] | "30" )',
  '"02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] )',
].join(" | ");
const date = `[0-9]{4} "-" ( ${twoDigitMonthDay} )`;
const hour = '( [01] [0-9] | "2" [0-3] )';
const time = `${hour} ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,6} )? ( "Z" | [+-] ${hour} ":" [0-5] [0-9] )`;
const hex = "[0-9a-f]";
const emailAtom = "[a-zA-Z0-9_+-]{1,16}";
const domainLabel = "[a-zA-Z0-9] ( [a-zA-Z0-9-]{0,14} [a-zA-Z0-9] )?";

const formats: Record<string, string> = {
  date,
  time,
  "date-time": `${date} "T" ${time}`,
  uuid: `${hex}{8} "-" ${hex}{4} "-" [1-8] ${hex}{3} "-" [89ab] ${hex}{3} "-" ${hex}{12}`,
  email: `${emailAtom} ( "." ${emailAtom} ){0,2} "@" ${domainLabel} ( "." ${domainLabel} ){0,2} "." [a-zA-Z]{2,6}`,
};

export const supportedFormats = Object.keys(formats);

/** The expression for the string's characters (without quotes), or undefined for an unsupported format. */
export function formatGbnf(format: string): string | undefined {
  return Object.hasOwn(formats, format) ? formats[format] : undefined;
}
