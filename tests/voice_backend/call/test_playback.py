"""The playback tracker: what of the agent's speech Twilio has played, per item."""

from __future__ import annotations

from voice_backend.call.playback import Interruption, PlaybackTracker


def test_played_ms_counts_only_audio_whose_mark_came_back() -> None:
    tracker = PlaybackTracker()
    first = tracker.on_sent("item_a", 1600)  # 200 ms of μ-law at 8 kHz
    tracker.on_sent("item_a", 800)  # 100 ms more, still in Twilio's buffer
    assert tracker.played_ms("item_a") == 0
    tracker.on_mark(first)
    assert tracker.played_ms("item_a") == 200
    assert tracker.playing


def test_an_echoed_mark_means_every_earlier_mark_played_too() -> None:
    tracker = PlaybackTracker()
    tracker.on_sent("item_a", 800)
    tracker.on_sent("item_b", 400)
    last = tracker.on_sent("item_b", 400)
    tracker.on_mark(last)
    assert (tracker.played_ms("item_a"), tracker.played_ms("item_b")) == (100, 100)
    assert not tracker.playing


def test_mark_names_are_unique_and_in_order() -> None:
    tracker = PlaybackTracker()
    names = [tracker.on_sent("item_a", 160) for _ in range(3)]
    assert names == ["m1", "m2", "m3"]


def test_played_ms_rounds_down_to_whole_milliseconds() -> None:
    tracker = PlaybackTracker()
    tracker.on_mark(tracker.on_sent("item_a", 15))  # 1.875 ms
    assert tracker.played_ms("item_a") == 1


def test_audio_without_an_item_is_counted_apart() -> None:
    tracker = PlaybackTracker()
    tracker.on_mark(tracker.on_sent(None, 800))
    assert tracker.played_ms(None) == 100
    assert tracker.played_ms("item_a") == 0


def test_interruption_reports_the_playing_item_and_what_of_it_was_heard() -> None:
    tracker = PlaybackTracker()
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
    tracker = PlaybackTracker()
    tracker.on_sent("item_a", 800)
    cleared = tracker.on_sent("item_a", 800)
    tracker.on_interrupted()
    tracker.on_mark(cleared)  # Twilio echoes the marks of the audio it dropped
    assert tracker.played_ms("item_a") == 0


def test_nothing_playing_means_no_interruption() -> None:
    tracker = PlaybackTracker()
    tracker.on_mark(tracker.on_sent("item_a", 800))
    assert tracker.on_interrupted() is None
    assert not tracker.is_stale("item_a")


def test_interruption_of_audio_without_an_item() -> None:
    tracker = PlaybackTracker()
    tracker.on_sent(None, 800)
    assert tracker.on_interrupted() == Interruption(None, 0)


def test_forgetting_pending_marks_ends_playback_without_counting_it() -> None:
    tracker = PlaybackTracker()
    tracker.on_sent("item_a", 800)
    tracker.forget_pending()
    assert not tracker.playing
    assert tracker.played_ms("item_a") == 0
    assert not tracker.is_stale("item_a")
