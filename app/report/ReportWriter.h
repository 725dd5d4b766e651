// Reports of a conversation: Markdown, HTML and PDF. Each holds every question and answer, each citation with its
// quote, location and verification status, the reasoning as an optional appendix, and a manifest (source hashes, git
// commits, model, sampling settings, seed, whether the prefix was reused).
// Rendering is a pure function of the Conversation: the same saved conversation gives the same bytes (Markdown and
// HTML; PDF files carry a creation date, so their text is what stays identical).
#pragma once

#include "app/session/Conversation.h"

namespace m1::app {

struct ReportOptions {
    bool includeReasoning = true;  // reasoning as an appendix per answer
};

class ReportWriter {
public:
    static QString markdown(const Conversation& conversation, const ReportOptions& options = {});
    static QString html(const Conversation& conversation, const ReportOptions& options = {});
    // Needs a QGuiApplication (fonts); use the offscreen platform without a display.
    static bool writePdf(const Conversation& conversation, const QString& file, const ReportOptions& options,
                         QString* error);
    // Picks the format from the extension: .md, .html/.htm, .pdf. Writes atomically.
    static bool write(const Conversation& conversation, const QString& file, const ReportOptions& options,
                      QString* error);
};

}  // namespace m1::app
