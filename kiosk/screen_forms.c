/*
 * The forms of the visit: placeholder until the forms engine's model API
 * (forms/form.h) is linked in; see screen_form.c.
 */
#include "ui.h"

static void
forms_draw(struct ui *ui)
{
	(void)ui;
	ui_text(3, 2, UI_C_WARN, "! The forms engine is not built into "
				 "this kiosk yet.");
	ui_text(5, 2, UI_C_DIM, "Esc: back to the visit.");
}

static enum ui_result
forms_key(struct ui *ui, enum ui_action a, int ch)
{
	(void)ui;
	(void)a;
	(void)ch;
	return UI_UNHANDLED;
}

const struct screen screen_forms = {
	"forms",
	"Forms of the visit",
	NULL,
	forms_draw,
	forms_key,
	NULL,
};
