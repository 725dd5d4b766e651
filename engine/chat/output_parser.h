// Splits MiniMax-M1's generated text, as it streams in, into reasoning, answer and tool calls (spec §7.3).
//
// The model writes   <think>\n{reasoning}\n</think>\n{answer}<tool_calls>\n{"name": ..., "arguments": ...}\n...</tool_calls>
// None of these tags is a token in M1: they are spelled with ordinary BPE pieces, so a tag may arrive split over
// several deltas at any byte. The parser holds back only what could still turn into a tag (a prefix of it, plus
// the one "\n" that a following </think> would swallow) and an incomplete UTF-8 character; everything else is
// emitted as soon as it arrives, so every text delta it emits is complete UTF-8 when the input is.
//
// Semantics, following vLLM's minimax_m1 reasoning parser and minimax tool parser:
//   - Output that starts with "<think>" is reasoning up to "</think>"; the "\n" right after <think> and the "\n"
//     right before and right after </think> are dropped, so "<think>\nR\n</think>\nA" gives reasoning R, answer A.
//     (vLLM matches the exact strings "<think>\n" and "\n</think>\n"; for that canonical form both agree, and here
//     a block whose newlines are missing is still recognised.) Output that does not start with "<think>" is all
//     answer; a later "<think>" is answer text.
//   - An unterminated think block ends the stream as reasoning (what vLLM streams).
//   - In the answer, "<tool_calls>" opens a block whose lines are tool calls: a line that is a JSON object with a
//     string "name" gives a tool_call event; any other non-blank line gives a tool_call_error event with the raw
//     line (never an exception). "</tool_calls>" closes the block and the answer continues. An unterminated block
//     is parsed to the end of the stream. "<tool_calls>" inside the think block is reasoning text.
//
// Thread-safety: one parser per stream, used from one thread at a time.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace m1 {

enum class output_event_kind {
    reasoning,        // text: a delta of the reasoning
    answer,           // text: a delta of the answer
    tool_call,        // name, arguments; text: the raw JSON line
    tool_call_error,  // text: the raw line; error: what is wrong with it
    end,              // the stream is finished (after finish())
};

struct output_event {
    output_event_kind kind = output_event_kind::answer;
    std::string text;
    std::string name;                   // tool_call only
    nlohmann::ordered_json arguments;   // tool_call only: as the model wrote it (usually an object; null if absent)
    std::string error;                  // tool_call_error only
};

class output_parser {
public:
    // Appends the events completed by `delta` to `events` (consecutive text of one kind is merged into one event
    // per call). Deltas may split tags and UTF-8 characters anywhere.
    void feed(std::string_view delta, std::vector<output_event>& events);
    // End of stream: flushes what was held back, parses an unterminated tool-call line, then appends an end event.
    // Further feed() calls are ignored until reset().
    void finish(std::vector<output_event>& events);
    void reset();

    // True while the text being received is reasoning (inside <think>).
    bool in_reasoning() const { return m_state == state::open_think || m_state == state::reasoning; }

private:
    enum class state { start, open_think, reasoning, close_think, answer, tool_calls, done };

    void process(std::vector<output_event>& events, bool at_end);
    void emit_text(output_event_kind kind, std::string_view text, std::vector<output_event>& events);
    void emit_tool_line(std::string_view line, std::vector<output_event>& events);

    state m_state = state::start;
    std::string m_pending;       // received, not yet emitted
    size_t m_first_event = 0;    // events before this index belong to the caller; never merged into
};

}  // namespace m1
