/*
 * Spoken prompts for patients who may not read (issue 10, item 9):
 * eSpeak NG reads the check-in screen's prompts aloud in the screen
 * language ("en", "fr", "sw" are eSpeak NG voice names too).  Off unless
 * the kiosk is started with `kiosk ui --speech`.  Audio goes to the
 * default device, spoken by eSpeak NG's own thread, so the screen never
 * waits for it; a new prompt cuts the last one short.
 *
 * Only catalogue text is spoken (ui.c hands over prompts drawn from a
 * format without conversions), never a name or anything typed, and no
 * prompt text is logged.
 *
 * Test-only: OUTPOST_SPEECH_WAV_DIR names a directory; each prompt is
 * then synthesized there as NNN-<voice>.wav (16-bit mono) instead of
 * being played, since test machines have no sound card.
 */
#define LOG_MODULE "speech"

#include <espeak-ng/speak_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "log.h"
#include "ui.h"

static int on, rate;
static const char *wav_dir; /* test sink, or NULL */
static char voice[8];
static struct buf pcm; /* the prompt being synthesized (sink only) */
static unsigned seq;

/* eSpeak NG's samples for the sink (AUDIO_OUTPUT_SYNCHRONOUS). */
static int
collect(short *wav, int n, espeak_EVENT *ev)
{
	(void)ev;
	if (wav != NULL && n > 0 &&
	    buf_append(&pcm, wav, (size_t)n * sizeof(short)) != 0)
		return 1; /* too long: stop */
	return 0;
}

static void
put_le(FILE *f, unsigned v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		fputc((int)((v >> (8 * i)) & 0xff), f);
}

/* The prompt just synthesized as a WAV file in the sink. */
static void
write_wav(void)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%03u-%s.wav", wav_dir, seq++, voice);
	if ((f = fopen(path, "we")) == NULL) {
		log_warn("speech sink %s", path);
		return;
	}
	fputs("RIFF", f);
	put_le(f, 36 + (unsigned)pcm.len, 4);
	fputs("WAVEfmt ", f);
	put_le(f, 16, 4);
	put_le(f, 1, 2); /* PCM */
	put_le(f, 1, 2); /* mono */
	put_le(f, (unsigned)rate, 4);
	put_le(f, (unsigned)rate * 2, 4);
	put_le(f, 2, 2);
	put_le(f, 16, 2);
	fputs("data", f);
	put_le(f, (unsigned)pcm.len, 4);
	fwrite(pcm.data, 1, pcm.len, f);
	if (fclose(f) != 0)
		log_warn("speech sink %s", path);
}

int
ui_speech_start(void)
{
	const char *d = getenv("OUTPOST_SPEECH_WAV_DIR");

	if (on)
		return 0;
	wav_dir = d != NULL && d[0] != '\0' ? d : NULL;
	rate = espeak_Initialize(
	    wav_dir != NULL ? AUDIO_OUTPUT_SYNCHRONOUS : AUDIO_OUTPUT_PLAYBACK,
	    500, NULL, 0);
	if (rate <= 0) {
		log_warnx("eSpeak NG did not start: no spoken prompts");
		return -1;
	}
	if (wav_dir != NULL) {
		espeak_SetSynthCallback(collect);
		/* a prompt is a few seconds: 60 s of audio is plenty */
		buf_init(&pcm, (size_t)rate * 2 * 60);
	}
	voice[0] = '\0';
	on = 1;
	log_info("spoken prompts on%s", wav_dir != NULL ? " (test sink)" : "");
	return 0;
}

void
ui_speak(const char *text)
{
	const char *lang = i18n_get();

	if (!on || text == NULL || text[0] == '\0')
		return;
	espeak_Cancel(); /* the last prompt is no longer on the screen */
	if (strcmp(voice, lang) != 0) {
		if (espeak_SetVoiceByName(lang) != EE_OK) {
			log_warnx("no eSpeak NG voice \"%s\"", lang);
			return;
		}
		snprintf(voice, sizeof(voice), "%s", lang);
	}
	buf_reset(&pcm);
	if (espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
	        espeakCHARS_UTF8, NULL, NULL) != EE_OK) {
		log_warnx("eSpeak NG refused a prompt");
		return;
	}
	if (wav_dir != NULL) {
		espeak_Synchronize();
		write_wav();
	}
}

void
ui_speech_stop(void)
{
	if (!on)
		return;
	espeak_Cancel();
	espeak_Terminate();
	if (wav_dir != NULL)
		buf_free(&pcm);
	on = 0;
}
