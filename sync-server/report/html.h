/*
 * The region report as HTML (issue 17, Dashboard): one self-contained page
 * with inline SVG charts and CSS, no script and no external resource, so
 * it reads the same in any browser, offline.
 */
#ifndef SYNC_SERVER_REPORT_HTML_H
#define SYNC_SERVER_REPORT_HTML_H

#include "buf.h"
#include "figures.h"

/* Append the page of F to B: 0 or EMSGSIZE (B's maximum). */
int figures_html(const struct figures *f, struct buf *b);
/*
 * Write DIR/index.html (DIR made if missing, mode 0755; the file 0644,
 * replaced atomically: it holds counts only).  0 or an errno.
 */
int figures_html_write(const struct figures *f, const char *dir);

#endif
