import { seeded } from '@commonroom/testkit';
/**
 * Varied chat text for the figures that count bytes. The relay figures' sentence (marker.ts `messageText`)
 * is nearly the same every time, and deflate would shrink a history of it to almost nothing: compressed
 * bytes measured on it would flatter any compression. Here each message is 5–25 words drawn from the
 * ~250 most common English words with a Zipf-like weight (rank r drawn in proportion to 1 / (r + 2)),
 * with now and then a first name, a room or a time, and chat punctuation; the words of message `seq` by
 * `writer` depend only on those two numbers (a seeded generator), so every run sends the same text.
 */

const WORDS = (
  'the be to of and a in that have i it for not on with he as you do at this but his by from they we say ' +
  'her she or an will my one all would there their what so up out if about who get which go me when make ' +
  'can like time no just him know take people into year your good some could them see other than then now ' +
  'look only come its over think also back after use two how our work first well way even new want because ' +
  'any these give day most us is are was were been has had did said going got really thanks ok yes yeah ' +
  'lol sorry please today tomorrow tonight morning afternoon class lesson room library canteen bus exam ' +
  'essay homework deadline teacher tutor group project notes slides break lunch coffee meet here late ' +
  'early again still maybe sure cool great need help question answer next week monday tuesday wednesday ' +
  'thursday friday weekend college course maths english biology chemistry physics history art music ' +
  'sport practice match team game phone charger laptop printer ticket card book page chapter test mock ' +
  'results grade marks finished started done left leave bring send check read write ask tell find ' +
  'anyone everyone someone nothing something where why which who whose very much many more less best ' +
  'last before after soon already never always sometimes around between down off inside outside upstairs'
).split(' ');

const NAMES = [
  'Amira',
  'Ben',
  'Chloe',
  'Dan',
  'Ellie',
  'Femi',
  'Grace',
  'Harry',
  'Isla',
  'Jay',
  'Kai',
  'Leah',
  'Mo',
  'Nadia',
  'Oscar',
  'Priya',
  'Rhys',
  'Sam',
  'Tom',
  'Zara',
  'Mr Patel',
  'Ms Jones',
  'Dr Okafor',
];
const PUNCTUATION = ['', '', '', '.', '!', '?', '...', ' :)', ' haha', ' x'];

/** Cumulative Zipf-like weights over WORDS, for drawing by binary search. */
const CUMULATIVE = (() => {
  const out: number[] = [];
  let sum = 0;
  for (let r = 0; r < WORDS.length; r++) out.push((sum += 1 / (r + 2)));
  return out.map((c) => c / sum);
})();

function pickWord(u: number): string {
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((CUMULATIVE[mid] ?? 1) < u) lo = mid + 1;
    else hi = mid;
  }
  return WORDS[lo] ?? 'ok';
}

/** The chat text of message `seq` by `writer`: the same for the same two numbers in every run. */
export function chatText(writer: number, seq: number): string {
  const rand = seeded(Math.imul(writer + 1, 0x9e3779b1) ^ Math.imul(seq + 1, 0x85ebca6b));
  const count = 5 + Math.floor(rand() * 21);
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    const u = rand();
    if (u < 0.04) words.push(NAMES[Math.floor(rand() * NAMES.length)] ?? 'Sam');
    else if (u < 0.06) words.push(`room ${Math.floor(rand() * 400) + 1}`);
    else if (u < 0.07) words.push(`${Math.floor(rand() * 12) + 1}:${rand() < 0.5 ? '00' : '30'}`);
    else words.push(pickWord(rand()));
  }
  const first = words[0] ?? 'ok';
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${words.join(' ')}${PUNCTUATION[Math.floor(rand() * PUNCTUATION.length)] ?? ''}`;
}
