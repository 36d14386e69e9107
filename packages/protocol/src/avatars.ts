/** Kept apart from the schemas (no zod here): the first screen draws avatars and must stay small. */

/**
 * Avatar colours a person may pick. White initials on each reach WCAG AA contrast (all above 6:1), so the
 * choice is taste, never legibility. Keys are stored; the client maps them to colours.
 */
export const AVATAR_COLOURS = {
  plum: { label: 'Plum', hex: '#5b3a8c' },
  indigo: { label: 'Indigo', hex: '#3a43a8' },
  blue: { label: 'Blue', hex: '#1f5fa8' },
  teal: { label: 'Teal', hex: '#0b6b6b' },
  green: { label: 'Green', hex: '#2b6a2f' },
  amber: { label: 'Amber', hex: '#8a4b00' },
  brown: { label: 'Brown', hex: '#7a4b2a' },
  red: { label: 'Red', hex: '#b3261e' },
  rose: { label: 'Rose', hex: '#a3245f' },
  slate: { label: 'Slate', hex: '#44546a' },
} as const;
export type AvatarColour = keyof typeof AVATAR_COLOURS;
export const AVATAR_COLOUR_KEYS = Object.keys(AVATAR_COLOURS) as AvatarColour[];
export const DEFAULT_AVATAR_COLOUR: AvatarColour = 'plum';

/** The colour to draw for a stored key; an unknown or missing key gets the default. */
export const avatarHex = (key: string | undefined): string =>
  (key !== undefined && key in AVATAR_COLOURS ? AVATAR_COLOURS[key as AvatarColour] : AVATAR_COLOURS.plum)
    .hex;
