/* tools/dot_param.c — parameter nodes and the legend as Graphviz HTML-like labels. */
#include <math.h>
#include <stdbool.h>

#include "tools/internal/dot_parts.h"
#include "tools/internal/format.h"
#include "tools/internal/palette.h"

enum { kCell = 9 }; /* points per matrix cell */

static double max_abs(const tg_stats* s) { return fmax(fabs(s->min), fabs(s->max)); }

/* One coloured cell per entry of a [rows, cols] array. */
static void put_grid(FILE* f, const float* v, int64_t rows, int64_t cols, const tg_stats* s) {
  const double scale = max_abs(s);
  fputs(
      "<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"0\" COLOR=\"#ffffff\">",
      f);
  for (int64_t r = 0; r < rows; ++r) {
    fputs("<TR>", f);
    for (int64_t c = 0; c < cols; ++c) {
      char colour[8];
      tg_diverging_colour(v[r * cols + c], scale, colour);
      fprintf(f, "<TD BGCOLOR=\"%s\" WIDTH=\"%d\" HEIGHT=\"%d\"></TD>", colour, kCell, kCell);
    }
    fputs("</TR>", f);
  }
  fputs("</TABLE>", f);
}

static void put_stats_row(FILE* f, const char* what, const tg_stats* s, bool zeros) {
  fprintf(f, "<TR><TD ALIGN=\"LEFT\" COLSPAN=\"2\">%s ", what);
  tg_put_stats(f, s);
  if (zeros)
    fprintf(f, "<BR ALIGN=\"LEFT\"/>zeros %lld/%lld", (long long)s->zeros, (long long)s->count);
  fputs("<BR ALIGN=\"LEFT\"/></TD></TR>", f);
}

void tg_dot_put_param(FILE* f, const tg_analysis_leaf* leaf, int id, int table_max) {
  const tg_tensor* t = leaf->tensor;
  char shape[TG_SHAPE_STR_CAP];
  const bool non_finite = leaf->value.nonfinite > 0 || leaf->grad.nonfinite > 0;
  const char* border = non_finite            ? TG_COLOUR_NONFINITE
                       : leaf->grad_all_zero ? "#c0392b"
                                             : "#b8860b";
  fprintf(f,
          "    L%d [shape=plain, label=<<TABLE BORDER=\"%d\" CELLBORDER=\"0\" CELLSPACING=\"0\" "
          "CELLPADDING=\"3\" COLOR=\"%s\" BGCOLOR=\"#fff8dc\">",
          id, non_finite || leaf->grad_all_zero ? 3 : 1, border);
  fputs("<TR><TD COLSPAN=\"2\"><B>", f);
  tg_put_html(f, leaf->label);
  fprintf(f, "</B> %s</TD></TR>", tg_tensor_shape_str(t, shape, sizeof shape));
  put_stats_row(f, "value", &leaf->value, false);
  if (t->grad != NULL)
    put_stats_row(f, "grad", &leaf->grad, true);
  else
    fputs("<TR><TD COLSPAN=\"2\">no gradient</TD></TR>", f);
  if (non_finite)
    fprintf(f,
            "<TR><TD COLSPAN=\"2\" BGCOLOR=\"%s\"><FONT COLOR=\"#ffffff\"><B>non-finite %s: "
            "NaN or inf</B></FONT></TD></TR>",
            TG_COLOUR_NONFINITE,
            leaf->value.nonfinite > 0 && leaf->grad.nonfinite > 0 ? "values and gradient"
            : leaf->value.nonfinite > 0                           ? "values"
                                                                  : "gradient");
  if (leaf->grad_all_zero)
    fputs(
        "<TR><TD COLSPAN=\"2\" BGCOLOR=\"#c0392b\"><FONT COLOR=\"#ffffff\"><B>gradient exactly 0: "
        "does not learn</B></FONT></TD></TR>",
        f);
  const int64_t rows = t->rank == 2 ? t->shape[0] : 1;
  const int64_t cols = t->rank == 2 ? t->shape[1] : t->rank == 1 ? t->shape[0] : 0;
  const bool grid = (t->rank == 1 || t->rank == 2) && rows > 0 && cols > 0 && rows <= table_max &&
                    cols <= table_max;
  if (grid) {
    fprintf(f, "<TR><TD>value</TD><TD>%s</TD></TR><TR><TD>", t->grad ? "gradient" : "");
    put_grid(f, t->data, rows, cols, &leaf->value);
    fputs("</TD><TD>", f);
    if (t->grad) put_grid(f, t->grad, rows, cols, &leaf->grad);
    fputs("</TD></TR>", f);
  }
  fputs("</TABLE>>];\n", f);
}

static void put_swatch(FILE* f, const char* fill, const char* border, const char* font,
                       const char* text) {
  fprintf(f, "<TD BGCOLOR=\"%s\" COLOR=\"%s\" BORDER=\"1\"><FONT COLOR=\"%s\">%s</FONT></TD>", fill,
          border, font, text);
}

void tg_dot_put_legend(FILE* f, double tolerance) {
  fputs(
      "  subgraph cluster_legend {\n    label=<<B>legend</B>>;\n    style=\"rounded\";\n"
      "    color=\"#999999\";\n",
      f);
  fputs(
      "    legend [shape=plain, label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"3\" "
      "CELLPADDING=\"3\"><TR>",
      f);
  put_swatch(f, "#dbe9f6", "#4a7ab5", "#000000", "input");
  put_swatch(f, "#fff8dc", "#b8860b", "#000000", "parameter");
  put_swatch(f, "#eeeeee", "#888888", "#000000", "op");
  put_swatch(f, "#f8cecc", "#b85450", "#000000", "loss");
  put_swatch(f, "#404040", "#c0392b", "#ffffff", "dead ReLU");
  put_swatch(f, "#fdecea", "#c0392b", "#c0392b", "symmetric layer");
  put_swatch(f, "#fff8dc", TG_COLOUR_NONFINITE, TG_COLOUR_NONFINITE, "non-finite");
  fputs(
      "</TR><TR><TD COLSPAN=\"7\"><TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
      "CELLPADDING=\"2\"><TR><TD BORDER=\"0\">cells:</TD>",
      f);
  static const double kScale[] = {-1.0, -0.25, -0.01, 0.01, 0.25, 1.0};
  static const char* const kText[] = {"-max", "", "", "", "", "+max"};
  for (int i = 0; i < 6; ++i) {
    char colour[8];
    tg_diverging_colour(kScale[i], 1.0, colour);
    fprintf(f, "<TD BGCOLOR=\"%s\" WIDTH=\"28\">%s</TD>", colour, kText[i]);
  }
  fprintf(f, "<TD BORDER=\"0\"> </TD><TD BGCOLOR=\"%s\">exactly 0</TD></TR></TABLE></TD></TR>",
          TG_COLOUR_ZERO);
  char num[TG_NUM_CAP];
  fprintf(f,
          "<TR><TD COLSPAN=\"7\" ALIGN=\"LEFT\">one cell per entry, scaled by the largest |entry| "
          "of its matrix; column j = unit j<BR ALIGN=\"LEFT\"/>units are identical when kernel "
          "column, bias and their gradients are equal (tolerance %s)<BR ALIGN=\"LEFT\"/>"
          "dashed edges: gradient flow, labelled with its L2 norm<BR ALIGN=\"LEFT\"/></TD></TR>",
          tg_fmt_num(num, tolerance));
  fputs("</TABLE>>];\n  }\n", f);
}
