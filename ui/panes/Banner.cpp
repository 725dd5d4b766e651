#include "ui/panes/Banner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace m1::ui {

Banner::Banner(Kind kind, QWidget* parent) : QFrame(parent), m_kind(kind) {
    const bool error = kind == Kind::Error;
    setObjectName(error ? QStringLiteral("errorBanner") : QStringLiteral("progressBanner"));
    setAccessibleName(error ? tr("Error") : tr("Progress"));
    setStyleSheet(error ? QStringLiteral("#errorBanner { background: #fdecea; border-bottom: 1px solid #f5c2c0; }"
                                         "#errorBanner QLabel { color: #8b1c13; }")
                        : QStringLiteral("#progressBanner { background: #eaf2fe; border-bottom: 1px solid #c7dafc; }"
                                         "#progressBanner QLabel { color: #1e3a8a; }"));
    m_message = new QLabel;
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setAccessibleName(error ? tr("Error message") : tr("Progress message"));
    auto* row = new QHBoxLayout;
    row->setContentsMargins(10, 5, 10, 5);
    row->addWidget(m_message, 1);
    if (!error) {
        m_progress = new QProgressBar;
        m_progress->setAccessibleName(tr("Progress"));
        m_progress->setMaximumWidth(220);
        m_progress->setTextVisible(false);
        row->addWidget(m_progress);
        m_button = new QPushButton(tr("Cancel"));
        m_button->setAccessibleName(tr("Cancel"));
        connect(m_button, &QPushButton::clicked, this, &Banner::cancelRequested);
        row->addWidget(m_button);
    } else {
        m_button = new QPushButton(tr("Details"));
        m_button->setAccessibleName(tr("Show error details"));
        m_button->setCheckable(true);
        m_close = new QPushButton(tr("Dismiss"));
        m_close->setAccessibleName(tr("Dismiss the error"));
        connect(m_close, &QPushButton::clicked, this, &QWidget::hide);
        row->addWidget(m_button);
        row->addWidget(m_close);
        m_details = new QPlainTextEdit;
        m_details->setReadOnly(true);
        m_details->setAccessibleName(tr("Error details"));
        m_details->setMaximumHeight(120);
        m_details->hide();
        connect(m_button, &QPushButton::toggled, m_details, &QWidget::setVisible);
    }
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(row);
    if (m_details) layout->addWidget(m_details);
    hide();
}

void Banner::showProgress(const QString& message, qint64 value, qint64 maximum) {
    m_message->setText(message);
    if (m_progress) {
        // QProgressBar is int; scale big token counts down.
        const int scale = maximum > 1000000 ? 1000 : 1;
        m_progress->setRange(0, int(maximum / scale));
        m_progress->setValue(int(value / scale));
    }
    show();
}

void Banner::showError(const QString& message, const QString& details) {
    m_message->setText(message);
    if (m_details) {
        m_details->setPlainText(details.isEmpty() ? message : details);
        m_button->setChecked(false);
    }
    show();
}

QString Banner::message() const { return m_message->text(); }
QString Banner::details() const { return m_details ? m_details->toPlainText() : QString(); }

}  // namespace m1::ui
