/**
 * A seeded stand-in for a college's chat history, for the device-search figure: English sentences of varying
 * length over a Zipf-shaped vocabulary (a few hundred common words, then a long tail of made-up ones, as
 * real chat has thousands of rare words, names and typos), with names, @mentions, emoji, accented words and
 * links mixed in. No imports: the same file runs in Node and, bundled, in the browser worker.
 */

export type CorpusMessage = {
  id: string;
  conversationId: string;
  authorId: string;
  text: string;
  ts: number;
  parent: string | null;
};

const COMMON = `the a to and of in is it you that for on be have are this with not i we was can at do
  your if so will just but what all about get there up out one from they me my no time or when like
  our know by please an would been has some work think need going see today tomorrow week next class
  lesson room thanks hi hello morning afternoon good great ok sure done yes sorry late meet after before
  friday monday tuesday wednesday thursday essay assignment deadline submit coursework exam revision
  group project notes slides marking feedback grade unit module tutor student college library lab
  practical placement workshop portfolio draft final handed question answer help check read write
  timetable register absence sick email form moodle teams upload file folder printed print copy
  hand in extended extension mock results term holiday half break canteen bus parking trip visit
  careers apprenticeship interview reference ucas application deadlines deadlined deadlock dead
  maths english science biology chemistry physics history geography art design media music drama
  sport business computing engineering construction plumbing electrical hair beauty catering
  childcare health social care nursing motor vehicle welding carpentry bricklaying`
  .split(/\s+/)
  .filter(Boolean);

const ACCENTED = ['café', 'résumé', 'naïve', 'déjà', 'façade', 'crème', 'fiancé', 'über', 'jalapeño'];
const NAMES = `Aisha Ben Chloé Dev Ellie Farah George Hana Isaac Jade Kacper Leila Mo Nia Olu Priya Quinn Rhys
  Siobhán Tom Uma Vikram Wiktoria Xander Yusuf Zoë José Renée Łukasz Ömer`
  .split(/\s+/)
  .filter(Boolean);
const EMOJI = ['👍', '🎉', '😂', '🙏', '❤️', '✅', '📚', '🔥', '😬', '👀'];
const LINKS = [
  'https://moodle.example.ac.uk/course/view.php?id=',
  'https://docs.example.com/d/',
  'https://www.bbc.co.uk/bitesize/guides/',
];

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = 'ka lo mi ne ru ta vo shi gre pla bon dri ster qua ven tor lis mar cel dun'.split(' ');

/** The long tail: 30,000 made-up words, ranked; word r is drawn with weight ~1/r (Zipf). */
function tail(random: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < 30_000; i++) {
    const n = 2 + Math.floor(random() * 3);
    let w = '';
    for (let j = 0; j < n; j++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    out.push(w);
  }
  return out;
}

export function makeCorpus(count: number, seed = 16): CorpusMessage[] {
  const random = rng(seed);
  const rare = tail(random);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const zipf = (xs: readonly string[]): string => xs[Math.floor(xs.length ** random()) - 1] as string;
  const word = (): string => {
    const r = random();
    if (r < 0.8) return zipf(COMMON);
    if (r < 0.95) return zipf(rare);
    if (r < 0.97) return pick(ACCENTED);
    if (r < 0.985) return pick(NAMES);
    return pick(EMOJI);
  };
  const out: CorpusMessage[] = [];
  const start = Date.UTC(2026, 8, 1);
  for (let i = 0; i < count; i++) {
    // Most chat lines are short; some are paragraphs.
    const len = random() < 0.9 ? 3 + Math.floor(random() * 15) : 20 + Math.floor(random() * 60);
    const words: string[] = [];
    for (let j = 0; j < len; j++) words.push(word());
    if (random() < 0.1) words.splice(0, 0, `@${pick(NAMES)}`);
    if (random() < 0.05) words.push(`${pick(LINKS)}${Math.floor(random() * 100_000)}`);
    words[0] = (words[0] ?? '').charAt(0).toUpperCase() + (words[0] ?? '').slice(1);
    const conversationId = appId('c', Math.floor(zipfIndex(random, 200)));
    const authorId = appId('u', i % 500);
    out.push({
      id: `${authorId}:${appId('m', i)}`,
      conversationId,
      authorId,
      text: words.join(' ') + pick(['.', '!', '?', '', '']),
      ts: start + i * 60_000,
      parent: random() < 0.15 && i > 0 ? `${appId('u', (i - 1) % 500)}:${appId('m', i - 1)}` : null,
    });
  }
  return out;
}

/**
 * An id as long as the app's (16 characters, as the server's newId and a device's message ids), so the
 * index holds strings of the real size: keys are `author:message`, 33 characters.
 */
const appId = (tag: string, n: number): string => `${tag}${n.toString(36)}`.padEnd(16, '_');

const zipfIndex = (random: () => number, n: number): number => Math.floor(n ** random()) - 1;

/** What a person types, one keystroke at a time: every prefix of 2 letters or more of each query. */
export const TYPED_QUERIES = [
  'deadline',
  'assignment',
  'coursework essay',
  'cafe',
  'chloe',
  'revision notes',
];
export const keystrokes = (queries: readonly string[]): string[] =>
  queries.flatMap((q) => [...q].map((_, i) => q.slice(0, i + 1)).filter((p) => p.trim().length >= 2));
