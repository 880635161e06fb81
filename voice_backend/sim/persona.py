"""Simulated providers: who picks up the phone in the offline mode, and how they haggle.

A `Persona` is a provider's character, read from a TOML file in `personas/` (users edit them):
the business and who answers, whether anyone picks up at all, the opening quote, the lowest
price it takes and how it gets there, the questions it asks about the job, and hints for the
voice that speaks it. `PersonaMind` (`persona_mind.py`) is that character on a call.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "PERSONA_DIR",
    "Concession",
    "Persona",
    "PersonaError",
    "PersonaKind",
    "load_persona",
    "load_personas",
]

#: Where the personas shipped with Haggle live; `load_personas()` reads them by default.
PERSONA_DIR = Path(__file__).with_name("personas")


class PersonaKind(StrEnum):
    """What happens when the persona's number is called."""

    HUMAN = "human"  # picks up and haggles
    NO_ANSWER = "no_answer"  # rings out
    BUSY = "busy"  # busy signal
    VOICEMAIL = "voicemail"  # a greeting, then a recorder that says nothing
    DECLINES = "declines"  # picks up, then turns the job down and hangs up


class Concession(StrEnum):
    """How a human persona comes down from its opening quote."""

    FIRM = "firm"  # never below its opening quote
    SPLIT = "split"  # meets a counter-offer halfway, never below its floor
    CONDITION = "condition"  # drops to its floor, with its condition attached


class Persona(BaseModel):
    """A simulated provider, as written in its TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="The business: `Ace Plumbing`.")
    contact: str | None = Field(default=None, description="Who answers: `Joe`.")
    kind: PersonaKind = PersonaKind.HUMAN
    trade: str = Field(
        default="plumber", min_length=1, description="The trade it is offered for: `plumber`."
    )
    description: str | None = Field(default=None, description="What it is for, for people.")
    opening_quote: float | None = Field(default=None, gt=0, description="Its first job price.")
    floor: float | None = Field(default=None, gt=0, description="The lowest job price it takes.")
    concession: Concession = Concession.SPLIT
    condition: str | None = Field(default=None, description="`if I come this afternoon`.")
    questions: list[str] = Field(
        default_factory=list,
        description="Asked before it quotes; `{thing}` is what the job is about (`the sink`).",
    )
    trip_fee: float | None = Field(default=None, ge=0, description="Charged on top of the job.")
    voicemail_greeting: str | None = None
    decline_line: str | None = Field(default=None, description="What a `declines` persona says.")
    voice: str = Field(
        default="en-us", min_length=1, description="eSpeak NG voice name (Piper has one voice)."
    )
    speaking_rate: int = Field(default=160, ge=80, le=450, description="Words per minute.")
    pitch: int = Field(default=50, ge=0, le=99, description="Pitch, 0 to 99 (50: as recorded).")
    seed: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> Persona:
        if self.kind in (PersonaKind.HUMAN,):
            if self.opening_quote is None:
                raise ValueError("opening_quote: required for a human persona")
            if self.floor is None and self.concession is not Concession.FIRM:
                raise ValueError(f"floor: required for a {self.concession} persona")
        if self.floor is not None and self.opening_quote is not None:
            if self.floor > self.opening_quote:
                raise ValueError(
                    f"floor: {self.floor:g} is above opening_quote {self.opening_quote:g}"
                )
            if self.concession is Concession.FIRM and self.floor < self.opening_quote:
                raise ValueError(
                    "floor: a firm persona never goes below its opening_quote "
                    "(leave floor out, or set it to opening_quote)"
                )
        if self.concession is Concession.CONDITION and not (self.condition or "").strip():
            raise ValueError("condition: required when concession is 'condition'")
        return self

    @property
    def answers(self) -> bool:
        """Whether anyone (or a voicemail) picks up."""
        return self.kind not in (PersonaKind.NO_ANSWER, PersonaKind.BUSY)

    @property
    def lowest_price(self) -> float | None:
        """The lowest job price it ever agrees to (None when it never quotes)."""
        if self.concession is Concession.FIRM:
            return self.opening_quote
        return self.floor

    @property
    def greeting_text(self) -> str:
        """What it says on picking up ("" when nobody picks up)."""
        if self.kind is PersonaKind.VOICEMAIL:
            return self.voicemail_greeting or (
                f"Hi, you've reached {self.name}. We can't come to the phone right now. "
                "Please leave a message after the beep."
            )
        if not self.answers:
            return ""
        if self.contact:
            return f"{self.name}, this is {self.contact}."
        return f"{self.name}, how can I help you?"


class PersonaError(ValueError):
    """A persona file that cannot be used; the message is one line naming the file and field."""


def _describe(error: ValidationError) -> str:
    parts = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts).replace("\n", " ")


def load_persona(path: str | Path) -> Persona:
    """One persona file; raises `PersonaError` naming the file and the field at fault."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PersonaError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PersonaError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise PersonaError(f"{path}: {_describe(exc)}") from None


def load_personas(directory: str | Path | None = None) -> dict[str, Persona]:
    """Every `*.toml` persona in `directory` (default: the shipped ones), by file name stem."""
    folder = Path(directory) if directory is not None else PERSONA_DIR
    if not folder.is_dir():
        raise PersonaError(f"{folder}: not a directory of persona files")
    return {path.stem: load_persona(path) for path in sorted(folder.glob("*.toml"))}
