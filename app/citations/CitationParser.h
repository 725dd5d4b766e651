// Finds citations in answer text, all at once or incrementally as the answer streams in.
// Not thread-safe; one parser per answer stream.
#pragma once

#include "app/citations/Citation.h"

namespace m1::app {

class CitationParser {
public:
    // Every well-formed citation in `text`, in order. Bracketed text that is not a citation (a Markdown link, an
    // array index) is left alone.
    static QList<Citation> parse(const QString& text);

    // Parses one bracketed body (without the brackets); returns false when it is not a citation.
    static bool parseBody(const QString& body, Citation* out);

    // Streaming: append a delta of the answer and get the citations completed by it. Offsets refer to the whole
    // answer text seen so far.
    QList<Citation> feed(const QString& delta);
    const QString& text() const { return m_text; }

private:
    QString m_text;
    qsizetype m_scanned = 0;  // everything before this offset has been parsed
};

}  // namespace m1::app
