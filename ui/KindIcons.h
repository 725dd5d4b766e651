// Small drawn icons for source kinds (PDF, DOCX, text, repository, folder, file) and citation status colours, so
// the app needs no icon theme and looks the same on every desktop. GUI thread only (QPixmap).
#pragma once

#include "app/citations/Citation.h"

#include <QColor>
#include <QIcon>

namespace m1::ui {

// kind: "pdf", "docx", "text", "git", "folder", "file".
QIcon kindIcon(const QString& kind);
// Chip colours by verification status: background and text.
QColor statusColor(m1::app::Citation::Status status);
QColor statusTextColor(m1::app::Citation::Status status);

}  // namespace m1::ui
