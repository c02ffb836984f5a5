/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: a hostile link, for testing the transport: loss, corruption,
 * duplication, reordering and delay of the RoCEv2 frames the port
 * transmits, set with the monitor's odp-hca-set-link-impairment.
 *
 * odp_hca_link_send() hands every frame it built to odp_hca_impair_tx()
 * just before it would queue it (hairpin) or send it to the netdev; with
 * no impairment set and nothing held, the hook returns at once.  Each
 * frame, in order:
 *
 *   loss       it is dropped;
 *   corrupt    one byte after its transport headers (payload, pad or
 *              ICRC) is XORed with a non-zero value;
 *   duplicate  a copy follows it;
 *   reorder    it is held until the next frame has gone (or for
 *              ODP_HCA_IMPAIR_HOLD_NS when none comes);
 *   delay      it goes out delay-us later on the virtual clock.
 *
 * Each is a chance in parts per million, drawn from a PRNG (splitmix64)
 * seeded by the command, so that a run repeats exactly.
 *
 * A hairpin frame carries no ICRC (odp-hca-link.c).  While corruption is
 * set, every hairpin frame gets a real one here and is marked
 * (frame->hairpin false) so that the receive path checks it, as for a
 * frame from a wire: a corrupted frame is then dropped as "icrc".
 *
 * Frames held back wait in a bounded queue; a timer (virtual clock)
 * schedules a bottom half that lets them go, inside odp_hca_enter() /
 * odp_hca_leave() like every entry point.  A device reset or unrealize
 * frees them (odp_hca_impair_flush()); the timer and the bottom half
 * only look at the queue, never at a frame they kept.  The settings
 * survive a reset, as a cable's faults would.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "odp-hca.h"
#include "trace.h"

#define PPM 1000000u

/* splitmix64: a full-period 64-bit generator, any seed. */
static uint64_t odp_hca_impair_rand(OdpHcaImpair *im)
{
    uint64_t z = (im->prng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* True with probability @ppm / 10^6; draws nothing for 0. */
static bool odp_hca_impair_roll(OdpHcaImpair *im, uint32_t ppm)
{
    return ppm && odp_hca_impair_rand(im) % PPM < ppm;
}

static bool odp_hca_impair_active(const OdpHcaImpair *im)
{
    return im->loss || im->corrupt || im->duplicate || im->reorder ||
           im->delay_us || im->held || !QSIMPLEQ_EMPTY(&im->delayed);
}

/* Whether frames sent now pass through the impairment. */
bool odp_hca_impair_enabled(OdpHcaState *s)
{
    return odp_hca_impair_active(&s->impair);
}

/* Where the frame was going: the receive queue, or the netdev. */
static void odp_hca_impair_emit(OdpHcaState *s, OdpHcaFrame *f, bool hairpin)
{
    trace_odp_hca_impair_emit(f->len, hairpin);
    if (!hairpin) {
        odp_hca_port_frame_out(s, f->data, f->len);
        odp_hca_frame_free(s, f);
        return;
    }
    if (!odp_hca_link_room(s, 1)) {
        s->stats.xport_drops[ODP_HCA_XPORT_DROP_QUEUE_FULL]++;
        trace_odp_hca_impair_queue_full(f->len);
        odp_hca_frame_free(s, f);
        return;
    }
    odp_hca_link_enqueue(s, f);
}

/* Arm the timer for the first thing due: a delayed frame or the held one. */
static void odp_hca_impair_arm(OdpHcaState *s)
{
    OdpHcaImpair *im = &s->impair;
    int64_t when = INT64_MAX;

    if (!QSIMPLEQ_EMPTY(&im->delayed)) {
        when = QSIMPLEQ_FIRST(&im->delayed)->due_ns;
    }
    if (im->held) {
        when = MIN(when, im->held_until_ns);
    }
    if (when == INT64_MAX) {
        timer_del(im->timer);
    } else {
        timer_mod(im->timer, when);
    }
}

/* A frame past loss, corruption and reordering: now, or after the delay. */
static void odp_hca_impair_deliver(OdpHcaState *s, OdpHcaFrame *f,
                                   bool hairpin)
{
    OdpHcaImpair *im = &s->impair;
    OdpHcaImpairFrame *d;

    /* Behind frames still delayed, so that only "reorder" reorders. */
    if (!im->delay_us && QSIMPLEQ_EMPTY(&im->delayed)) {
        odp_hca_impair_emit(s, f, hairpin);
        return;
    }
    if (im->delayed_count >= ODP_HCA_IMPAIR_QUEUE_MAX) {
        s->stats.impair_dropped++;
        trace_odp_hca_impair_drop(f->len, "delay queue full");
        odp_hca_frame_free(s, f);
        return;
    }
    d = g_new(OdpHcaImpairFrame, 1);
    d->due_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                (int64_t)im->delay_us * SCALE_US;
    if (!QSIMPLEQ_EMPTY(&im->delayed)) {
        /* a delay made shorter meanwhile: keep the queue in order */
        d->due_ns = MAX(d->due_ns, QSIMPLEQ_LAST(&im->delayed,
                                                 OdpHcaImpairFrame,
                                                 next)->due_ns);
    }
    d->hairpin = hairpin;
    d->frame = f;
    QSIMPLEQ_INSERT_TAIL(&im->delayed, d, next);
    im->delayed_count++;
    if (im->delay_us) {
        s->stats.impair_delayed++;
    }
}

/* Reordering: hold @f, or send it and then the one held before it. */
static void odp_hca_impair_order(OdpHcaState *s, OdpHcaFrame *f, bool hairpin)
{
    OdpHcaImpair *im = &s->impair;
    OdpHcaFrame *held = im->held;

    if (!held && odp_hca_impair_roll(im, im->reorder)) {
        im->held = f;
        im->held_hairpin = hairpin;
        im->held_until_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                            ODP_HCA_IMPAIR_HOLD_NS;
        s->stats.impair_reordered++;
        return;
    }
    odp_hca_impair_deliver(s, f, hairpin);
    if (held) {
        im->held = NULL;
        odp_hca_impair_deliver(s, held, im->held_hairpin);
    }
}

/*
 * Give the hairpin frame @f a real ICRC and mark it to be checked; find
 * where its transport headers end.  False if it does not parse (it then
 * goes as it is: the receive path counts it).
 */
static bool odp_hca_impair_icrc(OdpHcaState *s, OdpHcaFrame *f,
                                uint32_t *hdr_end)
{
    OdpHcaRocePacket pkt;

    if (odp_hca_roce_parse_hairpin(f->data, f->len, ODP_HCA_PAGE_SIZE,
                                   &pkt) != ODP_HCA_ROCE_OK) {
        return false;
    }
    *hdr_end = pkt.payload_len ? pkt.payload - f->data
                               : f->len - ODP_HCA_ROCE_ICRC_LEN;
    if (f->hairpin) {
        /* the payload is in place: the builder leaves it there */
        pkt.hairpin = false;
        if (odp_hca_roce_build(&pkt, f->data, f->len) != f->len) {
            return false;
        }
        f->hairpin = false;
    }
    return true;
}

/* Flip one byte after the headers of @f. */
static void odp_hca_impair_corrupt(OdpHcaState *s, OdpHcaFrame *f,
                                   uint32_t hdr_end)
{
    OdpHcaImpair *im = &s->impair;
    uint32_t at = hdr_end + odp_hca_impair_rand(im) % (f->len - hdr_end);

    f->data[at] ^= 1 + odp_hca_impair_rand(im) % 255;
    s->stats.impair_corrupted++;
    trace_odp_hca_impair_corrupt(f->len, at);
}

/*
 * The hook of odp_hca_link_send(): @f (built, counted as sent) is going
 * to the receive queue (@hairpin) or the netdev.  True when the
 * impairment took it (it is then consumed); false to let it go as usual.
 */
bool odp_hca_impair_tx(OdpHcaState *s, OdpHcaFrame *f, bool hairpin)
{
    OdpHcaImpair *im = &s->impair;
    uint32_t hdr_end = 0;
    bool checked = false;

    if (!odp_hca_impair_active(im)) {
        return false;
    }
    /* odp_hca_link_send() marks hairpin frames only when it queues them */
    f->hairpin = hairpin;
    if (odp_hca_impair_roll(im, im->loss)) {
        s->stats.impair_dropped++;
        trace_odp_hca_impair_drop(f->len, "loss");
        odp_hca_frame_free(s, f);
        return true;
    }
    if (im->corrupt) {
        checked = odp_hca_impair_icrc(s, f, &hdr_end);
    }
    if (checked && odp_hca_impair_roll(im, im->corrupt)) {
        odp_hca_impair_corrupt(s, f, hdr_end);
    }
    if (odp_hca_impair_roll(im, im->duplicate)) {
        OdpHcaFrame *copy = odp_hca_frame_alloc(s, f->len);

        copy->hairpin = f->hairpin;
        memcpy(copy->data, f->data, f->len);

        s->stats.impair_duplicated++;
        odp_hca_impair_order(s, f, hairpin);
        odp_hca_impair_order(s, copy, hairpin);
    } else {
        odp_hca_impair_order(s, f, hairpin);
    }
    odp_hca_impair_arm(s);
    return true;
}

/* Let go what is due: delayed frames, and a held frame whose wait is over. */
static void odp_hca_impair_bh(void *opaque)
{
    OdpHcaState *s = opaque;
    OdpHcaImpair *im = &s->impair;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    odp_hca_enter(s);
    if (im->held && im->held_until_ns <= now && !odp_hca_quiescing(s)) {
        OdpHcaFrame *held = im->held;

        im->held = NULL;
        odp_hca_impair_deliver(s, held, im->held_hairpin);
    }
    while (!QSIMPLEQ_EMPTY(&im->delayed) && !odp_hca_quiescing(s)) {
        OdpHcaImpairFrame *d = QSIMPLEQ_FIRST(&im->delayed);

        if (d->due_ns > now) {
            break;
        }
        QSIMPLEQ_REMOVE_HEAD(&im->delayed, next);
        im->delayed_count--;
        odp_hca_impair_emit(s, d->frame, d->hairpin);
        g_free(d);
    }
    if (!odp_hca_quiescing(s)) {
        odp_hca_impair_arm(s);
    }
    odp_hca_leave(s);
}

/* Timers run outside the re-entrancy guard: only wake the bottom half. */
static void odp_hca_impair_timer(void *opaque)
{
    OdpHcaState *s = opaque;

    qemu_bh_schedule(s->impair.bh);
}

/* Forget every frame held: a reset, or the device going away. */
void odp_hca_impair_flush(OdpHcaState *s)
{
    OdpHcaImpair *im = &s->impair;

    timer_del(im->timer);
    qemu_bh_cancel(im->bh);
    odp_hca_frame_free(s, im->held);
    im->held = NULL;
    while (!QSIMPLEQ_EMPTY(&im->delayed)) {
        OdpHcaImpairFrame *d = QSIMPLEQ_FIRST(&im->delayed);

        QSIMPLEQ_REMOVE_HEAD(&im->delayed, next);
        odp_hca_frame_free(s, d->frame);
        g_free(d);
    }
    im->delayed_count = 0;
}

void odp_hca_impair_init(OdpHcaState *s)
{
    OdpHcaImpair *im = &s->impair;

    memset(im, 0, sizeof(*im));
    QSIMPLEQ_INIT(&im->delayed);
    im->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, odp_hca_impair_timer, s);
    im->bh = qemu_bh_new_guarded(odp_hca_impair_bh, s,
                                 &DEVICE(s)->mem_reentrancy_guard);
}

void odp_hca_impair_fini(OdpHcaState *s)
{
    OdpHcaImpair *im = &s->impair;

    odp_hca_impair_flush(s);
    /* nothing sent from here on may reach the timer or the bottom half */
    im->loss = im->corrupt = im->duplicate = im->reorder = im->delay_us = 0;
    timer_free(im->timer);
    im->timer = NULL;
    qemu_bh_delete(im->bh);
    im->bh = NULL;
}
