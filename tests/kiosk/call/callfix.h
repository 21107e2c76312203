/*
 * What the call tests share: free loopback ports, a real Kamailio started
 * from the shipped sync-server/kamailio/kamailio.cfg with a db_text
 * subscriber table, a call engine per node, and the audio checks on the
 * WAV files baresip's sndfile module writes (Goertzel for a tone, an
 * envelope correlation for a vocoder).  Nothing here is mocked.
 */
#ifndef CALLFIX_H
#define CALLFIX_H

#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "kiosk/call/call.h"
#include "tests/test.h"
#include "xmalloc.h"

struct callfix {
	char *dir;
	int base; /* first of 40 free ports */
	pid_t kam;
	char registrar[64];
};

static inline int
callfix_port_free(int port, int type)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type, 0), ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* 40 consecutive ports free on UDP and TCP. */
static inline int
callfix_ports(void)
{
	int tries, base, i;

	srand((unsigned)(getpid() ^ clock_mono_us()));
	for (tries = 0; tries < 50; tries++) {
		base = 21000 + (rand() % 900) * 40;
		for (i = 0; i < 40; i++)
			if (!callfix_port_free(base + i, SOCK_DGRAM) ||
			    !callfix_port_free(base + i, SOCK_STREAM))
				break;
		if (i == 40)
			return base;
	}
	return -1;
}

static inline int
callfix_have_tools(void)
{
	if (system("command -v baresip >/dev/null && command -v kamailio "
	           ">/dev/null") != 0) {
		fprintf(stderr,
		    "SKIP reason: baresip or kamailio missing "
		    "(make deps)\n");
		return 0;
	}
	return 1;
}

/* Append USER's HA1 for PASSWORD in realm 127.0.0.1 to the subscriber
 * table, as sync-server/sipcred.c writes it. */
static inline int
callfix_subscriber(struct callfix *fx, const char *const *users,
    const char *const *passwords, int n)
{
	char path[512], in[256], hex[33];
	unsigned char md[16];
	unsigned mdlen;
	FILE *f;
	int i, k;

	snprintf(path, sizeof(path), "%s/sip/subscriber", fx->dir);
	if ((f = fopen(path, "w")) == NULL)
		return errno;
	fprintf(f, "username(str) domain(str,null) ha1(str)\n");
	for (i = 0; i < n; i++) {
		snprintf(
		    in, sizeof(in), "%s:127.0.0.1:%s", users[i], passwords[i]);
		EVP_Digest(in, strlen(in), md, &mdlen, EVP_md5(), NULL);
		for (k = 0; k < 16; k++)
			snprintf(hex + 2 * k, 3, "%02x", md[k]);
		fprintf(f, "%s::%s\n", users[i], hex);
	}
	return fclose(f) == 0 ? 0 : EIO;
}

static inline int
callfix_kamailio_start(struct callfix *fx)
{
	char a1[96], a2[600], a3[600], cfg[512];
	uint64_t until;

	snprintf(cfg, sizeof(cfg), "%s/sync-server/kamailio/kamailio.cfg",
	    getenv("OUTPOST_SRC") ? getenv("OUTPOST_SRC") : ".");
	snprintf(a1, sizeof(a1), "LISTEN=udp:127.0.0.1:%d", fx->base);
	snprintf(a2, sizeof(a2), "DBDIR=\"text://%s/sip\"", fx->dir);
	snprintf(a3, sizeof(a3), "CTLSOCK=\"unix:%s/kam.ctl\"", fx->dir);
	fx->kam = fork();
	if (fx->kam == 0) {
		char lp[512];

		snprintf(lp, sizeof(lp), "%s/kamailio.log", fx->dir);
		if (freopen(lp, "w", stderr) == NULL || dup2(2, 1) < 0 ||
		    freopen("/dev/null", "r", stdin) == NULL)
			_exit(126);
		setpgid(0, 0);
		execlp("kamailio", "kamailio", "-f", cfg, "-DD", "-E", "-n",
		    "2", "-A", a1, "-A", a2, "-A", a3, (char *)NULL);
		_exit(127);
	}
	/* up when its UDP port is taken */
	until = clock_mono_ms() + 5000;
	while (callfix_port_free(fx->base, SOCK_DGRAM)) {
		int st;

		if (waitpid(fx->kam, &st, WNOHANG) == fx->kam) {
			fx->kam = 0;
			return ECHILD;
		}
		if (clock_mono_ms() > until)
			return ETIMEDOUT;
		usleep(50 * 1000);
	}
	usleep(200 * 1000);
	return 0;
}

static inline void
callfix_kamailio_stop(struct callfix *fx)
{
	int st;

	if (fx->kam > 0) {
		kill(-fx->kam, SIGTERM);
		kill(fx->kam, SIGTERM);
		waitpid(fx->kam, &st, 0);
		fx->kam = 0;
	}
}

static inline int
callfix_init(struct callfix *fx)
{
	char p[512];

	memset(fx, 0, sizeof(*fx));
	if ((fx->base = callfix_ports()) < 0)
		return EADDRINUSE;
	if ((fx->dir = test_tmpdir("call")) == NULL)
		return errno;
	snprintf(p, sizeof(p), "%s/sip", fx->dir);
	mkdir(p, 0700);
	snprintf(
	    fx->registrar, sizeof(fx->registrar), "127.0.0.1:%d", fx->base);
	return 0;
}

static inline void
callfix_fini(struct callfix *fx)
{
	callfix_kamailio_stop(fx);
	if (fx->dir != NULL && getenv("OUTPOST_KEEP") == NULL)
		test_rmdir(fx->dir);
	else if (fx->dir != NULL)
		fprintf(stderr, "  kept %s\n", fx->dir), free(fx->dir);
	fx->dir = NULL;
}

/* Node I (0 kiosk, 1 hub, 2 a third) with its ports. */
static inline void
callfix_cfg(struct callfix *fx, int i, struct call_cfg *c, const char *user,
    const char *password, const char *source, char *dirbuf, char *recbuf,
    size_t n)
{
	memset(c, 0, sizeof(*c));
	snprintf(dirbuf, n, "%s/%s", fx->dir, user);
	snprintf(recbuf, n, "%s/%s-rec", fx->dir, user);
	mkdir(recbuf, 0700);
	c->dir = dirbuf;
	c->record_dir = recbuf;
	c->user = user;
	c->password = password;
	c->registrar = fx->registrar;
	c->sip_port = fx->base + 2 + 2 * i;
	c->ctrl_port = fx->base + 8 + i;
	c->rtp_lo = fx->base + 12 + 8 * i;
	c->rtp_hi = c->rtp_lo + 7;
	c->audio_source = source;
	c->mode = CALL_MODE_OPUS16;
}

/* Poll both engines until COND or MS pass. */
#define CALLFIX_WAIT(a, b, ms, cond)                                           \
	do {                                                                   \
		uint64_t until_ = clock_mono_ms() + (ms);                      \
		while (!(cond) && clock_mono_ms() < until_) {                  \
			call_engine_poll((a), 20);                             \
			if ((b) != NULL)                                       \
				call_engine_poll((b), 20);                     \
		}                                                              \
	} while (0)

/* Does FILE contain NEEDLE? */
static inline int
callfix_file_has(const char *file, const char *needle)
{
	char line[1024];
	FILE *f = fopen(file, "r");
	int hit = 0;

	if (f == NULL)
		return 0;
	while (!hit && fgets(line, sizeof(line), f) != NULL)
		hit = strstr(line, needle) != NULL;
	fclose(f);
	return hit;
}

/* The newest "*-dec.wav" (what a node received) in DIR, read as 16-bit
 * PCM: samples of channel 0 into *OUT, rate into *RATE. */
static inline int
callfix_read_dec(const char *dir, int16_t **out, size_t *n, unsigned *rate)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char best[256] = "", path[600];
	unsigned char h[12], ch[8];
	unsigned chans = 1, bits = 16;
	FILE *f;
	size_t i;

	if (d == NULL)
		return errno;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 8 && strcmp(de->d_name + l - 8, "-dec.wav") == 0 &&
		    strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	}
	closedir(d);
	if (best[0] == '\0')
		return ENOENT;
	snprintf(path, sizeof(path), "%s/%s", dir, best);
	if ((f = fopen(path, "rb")) == NULL)
		return errno;
	if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) != 0)
		goto bad;
	while (fread(ch, 1, 8, f) == 8) {
		uint32_t len =
		    ch[4] | ch[5] << 8 | ch[6] << 16 | (uint32_t)ch[7] << 24;

		if (memcmp(ch, "fmt ", 4) == 0) {
			unsigned char fm[16];

			if (len < 16 || fread(fm, 1, 16, f) != 16)
				goto bad;
			chans = fm[2] | fm[3] << 8;
			*rate = fm[4] | fm[5] << 8 | fm[6] << 16 |
			    (unsigned)fm[7] << 24;
			bits = fm[14] | fm[15] << 8;
			fseek(f, (long)len - 16, SEEK_CUR);
		} else if (memcmp(ch, "data", 4) == 0) {
			size_t frames;
			int16_t *raw;

			if (bits != 16 || chans == 0)
				goto bad;
			/* sndfile may not have patched the length yet */
			raw = xmalloc(8u << 20);
			frames =
			    fread(raw, 2 * chans, (8u << 20) / (2 * chans), f);
			*out = xmalloc(frames * 2 + 2);
			for (i = 0; i < frames; i++)
				(*out)[i] = raw[i * chans];
			*n = frames;
			free(raw);
			fclose(f);
			return 0;
		} else
			fseek(f, len, SEEK_CUR);
	}
bad:
	fclose(f);
	return EBADMSG;
}

/* Share of the signal's power at HZ over [from, from+len) samples
 * (Goertzel), 0..1. */
static inline double
callfix_goertzel(const int16_t *s, size_t n, unsigned rate, double hz,
    size_t from, size_t len)
{
	double w = 2 * M_PI * hz / rate, c = 2 * cos(w), q0, q1 = 0, q2 = 0, pw,
	       tot = 0;
	size_t i;

	if (from + len > n)
		return 0;
	for (i = from; i < from + len; i++) {
		double x = s[i] / 32768.0;

		q0 = c * q1 - q2 + x;
		q2 = q1;
		q1 = q0;
		tot += x * x;
	}
	pw = q1 * q1 + q2 * q2 - c * q1 * q2;
	if (tot <= 0)
		return 0;
	/* a pure tone of power P over L samples gives L^2 P / 2 ... */
	return pw / (tot * len / 2.0);
}

/*
 * A speech-like test signal (a vocoder does not carry a sine): a buzz
 * whose pitch glides 100..180 Hz, switched on and off in an irregular
 * syllable pattern, 48 kHz stereo 16-bit (what aufile needs with
 * ausrc_srate 48000 / ausrc_channels 2).  Its 20 ms envelope (1 on, 0
 * off) goes to ENV (N20 frames) for the comparison.
 */
static inline int
callfix_speechlike(const char *path, double secs, double *env, size_t n20)
{
	static const double seg[] = { 0.30, 0.15, 0.50, 0.30, 0.20, 0.40, 0.25,
		0.10, 0.60, 0.35, 0.15, 0.20, 0.45, 0.50 };
	unsigned rate = 48000, frames = (unsigned)(secs * rate), i, si = 0;
	double t_next = seg[0], ph = 0;
	int on = 1;
	unsigned char h[44];
	FILE *f = fopen(path, "wb");
	uint32_t dlen = frames * 4;

	if (f == NULL)
		return errno;
	memcpy(h, "RIFF", 4);
	h[4] = (uint8_t)(36 + dlen), h[5] = (uint8_t)((36 + dlen) >> 8),
	h[6] = (uint8_t)((36 + dlen) >> 16),
	h[7] = (uint8_t)((36 + dlen) >> 24);
	memcpy(h + 8, "WAVEfmt ", 8);
	h[16] = 16, h[17] = h[18] = h[19] = 0;
	h[20] = 1, h[21] = 0, h[22] = 2, h[23] = 0;
	h[24] = (uint8_t)rate, h[25] = (uint8_t)(rate >> 8), h[26] = 0,
	h[27] = 0;
	h[28] = (uint8_t)(rate * 4), h[29] = (uint8_t)((rate * 4) >> 8),
	h[30] = (uint8_t)((rate * 4) >> 16), h[31] = 0;
	h[32] = 4, h[33] = 0, h[34] = 16, h[35] = 0;
	memcpy(h + 36, "data", 4);
	h[40] = (uint8_t)dlen, h[41] = (uint8_t)(dlen >> 8),
	h[42] = (uint8_t)(dlen >> 16), h[43] = (uint8_t)(dlen >> 24);
	fwrite(h, 1, 44, f);
	for (i = 0; i < frames; i++) {
		double t = (double)i / rate, hz, x;
		int16_t v[2];

		if (t >= t_next) {
			si = (si + 1) % (sizeof(seg) / sizeof(seg[0]));
			t_next += seg[si];
			on = !on;
		}
		hz = 100 + 80 * (0.5 + 0.5 * sin(2 * M_PI * 0.7 * t));
		ph += hz / rate;
		ph -= floor(ph);
		x = on ? 0.35 * (2 * ph - 1) : 0;
		v[0] = v[1] = (int16_t)(x * 32767);
		fwrite(v, 2, 2, f);
		if (i % (rate / 50) == 0 && i / (rate / 50) < n20)
			env[i / (rate / 50)] = on;
	}
	return fclose(f) == 0 ? 0 : EIO;
}

/*
 * The best correlation between the received audio's 20 ms log-energy
 * envelope and ENV (the sent on/off pattern), over lags -LAG_MAX..LAG_MAX
 * frames: received frame k + lag against sent frame k (the recording may
 * start before or after the sender's first frame).
 */
static inline double
callfix_env_corr(const int16_t *s, size_t n, unsigned rate, const double *env,
    size_t n20, size_t lag_max)
{
	size_t w = rate / 50, m = n / w, k;
	long lag;
	double *e = xmalloc((m + 1) * sizeof(double)), best = -1;

	for (k = 0; k < m; k++) {
		double p = 0;
		size_t i;

		for (i = 0; i < w; i++)
			p += (double)s[k * w + i] * s[k * w + i];
		e[k] = log10(1 + p / w);
	}
	for (lag = -(long)lag_max; lag <= (long)lag_max; lag++) {
		double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, c;
		size_t cnt = 0;

		for (k = 0; k < n20; k++) {
			long j = (long)k + lag;
			double x, y;

			if (j < 0 || j >= (long)m)
				continue;
			x = env[k];
			y = e[j];

			sx += x, sy += y, sxx += x * x, syy += y * y;
			sxy += x * y;
			cnt++;
		}
		if (cnt < 100)
			continue;
		c = (cnt * sxy - sx * sy) /
		    sqrt((cnt * sxx - sx * sx) * (cnt * syy - sy * sy) + 1e-12);
		if (c > best)
			best = c;
	}
	free(e);
	return best;
}

#endif
