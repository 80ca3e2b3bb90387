/* tools/internal/palette.h — the diverging colour scale of the DOT pictures. Private. */
#ifndef TAPEGRAD_TOOLS_INTERNAL_PALETTE_H_
#define TAPEGRAD_TOOLS_INTERNAL_PALETTE_H_

/* Colour of exactly-zero entries: a flat grey that no non-zero value gets. */
#define TG_COLOUR_ZERO "#9e9e9e"
/* Colour of NaN and infinite entries. */
#define TG_COLOUR_NONFINITE "#000000"

/* Writes "#rrggbb" for v on a scale where max_abs (> 0) is the strongest colour:
 * blue for negative, red for positive, near-white for tiny values, TG_COLOUR_ZERO for
 * exactly 0. The magnitude goes through a square root so small entries stay visible. */
void tg_diverging_colour(double v, double max_abs, char out[8]);

#endif /* TAPEGRAD_TOOLS_INTERNAL_PALETTE_H_ */
