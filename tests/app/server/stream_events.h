// Test helper: what m1::output_parser makes of a sequence of text deltas, as comparable strings
// ("reasoning: …", "answer: …", "tool: NAME ARGS-JSON", "tool error: LINE"), consecutive text of one kind merged,
// so that two streams cut differently compare equal when they say the same thing.
#pragma once

#include "engine/chat/output_parser.h"

#include <string>
#include <vector>

#include <QStringList>

inline QStringList parsedEvents(const std::vector<std::string>& deltas) {
    m1::output_parser parser;
    std::vector<m1::output_event> events;
    for (const std::string& d : deltas) parser.feed(d, events);
    parser.finish(events);
    QStringList out;
    QString lastKind;
    for (const m1::output_event& e : events) {
        QString kind, text;
        switch (e.kind) {
        case m1::output_event_kind::reasoning:
            kind = "reasoning";
            text = QString::fromStdString(e.text);
            break;
        case m1::output_event_kind::answer:
            kind = "answer";
            text = QString::fromStdString(e.text);
            break;
        case m1::output_event_kind::tool_call:
            out << QStringLiteral("tool: %1 %2")
                       .arg(QString::fromStdString(e.name), QString::fromStdString(e.arguments.dump()));
            lastKind.clear();
            continue;
        case m1::output_event_kind::tool_call_error:
            out << QStringLiteral("tool error: %1").arg(QString::fromStdString(e.text));
            lastKind.clear();
            continue;
        case m1::output_event_kind::end:
            continue;
        }
        if (text.isEmpty()) continue;
        if (kind == lastKind)
            out.last() += text;
        else
            out << kind + ": " + text;
        lastKind = kind;
    }
    return out;
}

// Cuts text into pieces of n bytes (tags and UTF-8 characters may be cut anywhere; the parser copes).
inline std::vector<std::string> piecesOf(const std::string& text, size_t n) {
    std::vector<std::string> out;
    for (size_t i = 0; i < text.size(); i += n) out.push_back(text.substr(i, n));
    return out;
}
