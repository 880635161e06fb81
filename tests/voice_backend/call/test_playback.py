"""The playback tracker: what of the agent's speech Twilio has played, per item."""

from __future__ import annotations

from voice_backend.call.playback import MARK_EVERY_MS, Interruption, PlaybackTracker


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms / 1000


def test_played_ms_counts_only_audio_whose_mark_came_back() -> None:
    tracker = PlaybackTracker(Clock())
    first = tracker.on_sent("item_a", 1600)  # 200 ms of μ-law at 8 kHz
    tracker.on_sent("item_a", 800)  # 100 ms more, still in Twilio's buffer
    assert tracker.played_ms("item_a") == 0
    tracker.on_mark(first)
    assert tracker.played_ms("item_a") == 200
    assert tracker.playing


def test_an_echoed_mark_means_every_earlier_mark_played_too() -> None:
    tracker = PlaybackTracker(Clock())
    tracker.on_sent("item_a", 800)
    tracker.on_sent("item_b", 400)
    last = tracker.on_sent("item_b", 400)
    tracker.on_mark(last)
    assert (tracker.played_ms("item_a"), tracker.played_ms("item_b")) == (100, 100)
    assert not tracker.playing


def test_mark_names_are_unique_and_in_order() -> None:
    tracker = PlaybackTracker(Clock())
    names = [tracker.on_sent("item_a", 800) for _ in range(3)]
    assert names == ["m1", "m2", "m3"]


def test_played_ms_rounds_down_to_whole_milliseconds() -> None:
    tracker = PlaybackTracker(Clock())
    assert tracker.on_sent("item_a", 15) is None  # 1.875 ms: rides on a later mark
    mark = tracker.flush()
    assert mark is not None
    tracker.on_mark(mark)
    assert tracker.played_ms("item_a") == 1


def test_small_chunks_share_a_mark_every_100_ms() -> None:
    tracker = PlaybackTracker(Clock())
    names = [tracker.on_sent("item_a", 160) for _ in range(10)]  # 20 ms chunks
    assert MARK_EVERY_MS == 100
    assert names == [None, None, None, None, "m1", None, None, None, None, "m2"]
    tracker.on_mark("m1")
    assert tracker.played_ms("item_a") == 100
    assert tracker.playing
    tracker.on_mark("m2")
    assert tracker.played_ms("item_a") == 200
    assert not tracker.playing
    assert (tracker.chunks_sent, tracker.marks_sent) == (10, 2)


def test_flush_marks_the_chunks_left_without_one() -> None:
    tracker = PlaybackTracker(Clock())
    tracker.on_sent("item_a", 160)
    tracker.on_sent("item_a", 160)
    last = tracker.flush()
    assert last == "m1"
    assert tracker.flush() is None  # nothing left to mark
    assert tracker.playing
    tracker.on_mark(last)
    assert tracker.played_ms("item_a") == 40
    assert not tracker.playing
    # After a mark of its own, a chunk needs no flush.
    tracker.on_sent("item_a", 800)
    assert tracker.flush() is None


def test_a_shared_mark_counts_each_item_it_covers() -> None:
    tracker = PlaybackTracker(Clock())
    assert tracker.on_sent("item_a", 160) is None
    mark = tracker.on_sent("item_b", 640)
    assert mark is not None
    tracker.on_mark(mark)
    assert (tracker.played_ms("item_a"), tracker.played_ms("item_b")) == (20, 80)


def test_interruption_counts_chunks_not_marked_yet() -> None:
    clock = Clock()
    tracker = PlaybackTracker(clock)
    for _ in range(3):
        tracker.on_sent("item_a", 160)  # 60 ms, no mark yet
    clock.advance(45)
    assert tracker.on_interrupted() == Interruption("item_a", 45)
    assert tracker.is_stale("item_a")
    assert not tracker.playing
    assert tracker.flush() is None  # the cleared chunks are forgotten, not marked


def test_audio_without_an_item_is_counted_apart() -> None:
    tracker = PlaybackTracker(Clock())
    tracker.on_mark(tracker.on_sent(None, 800))
    assert tracker.played_ms(None) == 100
    assert tracker.played_ms("item_a") == 0


def test_interruption_reports_the_playing_item_and_what_of_it_was_heard() -> None:
    tracker = PlaybackTracker(Clock())
    heard = tracker.on_sent("item_a", 2400)  # 300 ms
    tracker.on_sent("item_a", 1600)
    tracker.on_sent("item_b", 800)
    tracker.on_mark(heard)
    assert tracker.on_interrupted() == Interruption("item_a", 300)
    # Everything still out is stale, the playing item and the one queued behind it.
    assert tracker.is_stale("item_a") and tracker.is_stale("item_b")
    assert not tracker.is_stale("item_c") and not tracker.is_stale(None)
    assert not tracker.playing


def test_marks_echoed_for_a_cleared_buffer_do_not_count_as_played() -> None:
    tracker = PlaybackTracker(Clock())
    tracker.on_sent("item_a", 800)
    cleared = tracker.on_sent("item_a", 800)
    tracker.on_interrupted()
    tracker.on_mark(cleared)  # Twilio echoes the marks of the audio it dropped
    assert tracker.played_ms("item_a") == 0


def test_nothing_playing_means_no_interruption() -> None:
    tracker = PlaybackTracker(Clock())
    tracker.on_mark(tracker.on_sent("item_a", 800))
    assert tracker.on_interrupted() is None
    assert not tracker.is_stale("item_a")


def test_interruption_of_audio_without_an_item() -> None:
    tracker = PlaybackTracker(Clock())
    tracker.on_sent(None, 800)
    assert tracker.on_interrupted() == Interruption(None, 0)


def test_forgetting_pending_marks_ends_playback_without_counting_it() -> None:
    tracker = PlaybackTracker(Clock())
    tracker.on_sent("item_a", 800)
    tracker.forget_pending()
    assert not tracker.playing
    assert tracker.played_ms("item_a") == 0
    assert not tracker.is_stale("item_a")


def test_a_long_chunk_counts_the_time_since_the_last_echo_capped_at_what_was_sent() -> None:
    clock = Clock()
    tracker = PlaybackTracker(clock)
    first = tracker.on_sent("item_a", 6000)  # one 750 ms model chunk
    tracker.on_sent("item_a", 6000)  # and the next, queued behind it
    clock.advance(400)
    assert tracker.played_ms("item_a") == 400  # no echo yet: playing since it was sent
    clock.advance(350)
    tracker.on_mark(first)
    clock.advance(250)
    # 750 ms echoed plus 250 ms since: 1,000 ms heard, not the 750 the marks alone say.
    assert tracker.on_interrupted() == Interruption("item_a", 1000)


def test_the_time_since_the_last_echo_never_exceeds_the_audio_sent() -> None:
    clock = Clock()
    tracker = PlaybackTracker(clock)
    tracker.on_mark(tracker.on_sent("item_a", 800))  # 100 ms, played
    tracker.on_sent("item_a", 800)  # 100 ms more
    clock.advance(5000)  # the echo is late (a slow network): at most what was sent
    assert tracker.played_ms("item_a") == 200


def test_an_item_sent_after_a_silence_counts_from_when_it_was_sent() -> None:
    clock = Clock()
    tracker = PlaybackTracker(clock)
    tracker.on_mark(tracker.on_sent("item_a", 800))
    clock.advance(3000)  # the line was quiet
    tracker.on_sent("item_b", 8000)  # one second
    clock.advance(300)
    assert tracker.played_ms("item_b") == 300


def test_echoes_of_cleared_marks_do_not_count_audio_sent_after_the_clear() -> None:
    clock = Clock()
    tracker = PlaybackTracker(clock)
    cleared = tracker.on_sent("item_a", 800)
    tracker.on_interrupted()
    tracker.on_sent("item_b", 800)
    tracker.on_mark(cleared)  # late echo of the dropped audio
    assert tracker.played_ms("item_b") == 0
    assert tracker.playing
